"""A reader for Qt binary resource files (``.rcc``, formats 1-3), the bundles holding GCompris's photos and recordings.

Layout (qtbase ``src/corelib/io/qresource.cpp``): a 20-byte header ``qres``, version, then the offsets of the tree,
the data and the names sections (format 3 adds a flags word). Tree nodes are 14 bytes (format 1) or 22 bytes (2 and
3, with a modification time): name offset, flags, then either child count + first child index (directories) or
locale + data offset (files). A name is a 16-bit length, a 32-bit hash and UTF-16BE characters. A file's data is a
32-bit length and its bytes; zlib-compressed files start with their 32-bit uncompressed length.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MAGIC = b"qres"
DIRECTORY, ZLIB_COMPRESSED, ZSTD_COMPRESSED = 0x02, 0x01, 0x04


class QtResourceError(ValueError):
    """The file is not a Qt resource bundle this reader understands."""


def read_qt_resources(path: Path | str) -> dict[str, bytes]:
    """Every file in the bundle, by its path inside it (``dir/sub/name.ext``), decompressed."""
    path = Path(path)
    blob = path.read_bytes()
    if blob[:4] != MAGIC or len(blob) < 20:
        raise QtResourceError(f"{path.name} is not a Qt resource file (no 'qres' header)")
    try:
        return _Bundle(blob).files()
    except (struct.error, zlib.error, UnicodeDecodeError) as err:
        raise QtResourceError(f"{path.name} is damaged: {err}") from err
    except QtResourceError as err:
        raise QtResourceError(f"{path.name}: {err}") from err


class _Bundle:
    def __init__(self, blob: bytes):
        self.blob = blob
        version, self.tree, self.data, self.names = struct.unpack(">IIII", blob[4:20])
        if version not in (1, 2, 3):
            raise QtResourceError(f"unsupported Qt resource format {version}")
        self.node_size = 14 if version == 1 else 22

    def name_at(self, offset: int) -> str:
        (length,) = struct.unpack_from(">H", self.blob, self.names + offset)
        start = self.names + offset + 6
        return self.blob[start : start + 2 * length].decode("utf-16-be")

    def file_at(self, offset: int, flags: int, where: str) -> bytes:
        (length,) = struct.unpack_from(">I", self.blob, self.data + offset)
        payload = self.blob[self.data + offset + 4 : self.data + offset + 4 + length]
        if flags & ZSTD_COMPRESSED:
            raise QtResourceError(f"{where} is zstd-compressed, which this reader does not handle")
        return zlib.decompress(payload[4:]) if flags & ZLIB_COMPRESSED else payload

    def files(self) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        pending = [(0, "")]  # (node index, its folder's path with a trailing slash); node 0 is the root folder
        while pending:
            index, folder = pending.pop()
            position = self.tree + index * self.node_size
            name_offset, flags = struct.unpack_from(">IH", self.blob, position)
            here = f"{folder}{self.name_at(name_offset)}" if index else ""
            if flags & DIRECTORY:
                count, first = struct.unpack_from(">II", self.blob, position + 6)
                pending += [(first + i, f"{here}/" if index else "") for i in range(count)]
            else:
                (offset,) = struct.unpack_from(">I", self.blob, position + 10)
                found[here] = self.file_at(offset, flags, here)
        return found
