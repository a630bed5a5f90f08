"""Small file helpers shared by every writer: nothing a user saved is ever half-written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_UMASK = os.umask(0o022)  # read once at import (setting it is process-wide), then put back
os.umask(_UMASK)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator:
    """Write to a temporary file beside ``path`` and rename it into place only if the block succeeds.

    The file gets the permissions ``open`` would give it (mkstemp's are owner-only), so shared data folders work."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
