"""Uploads: spooled to the data folder under their content hash, never under the user's file name.

The shipped example is used in place and recognised by content, so the example uploaded by hand gets its ground
truth too.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from loco.io import sha256_file
from loco.paths import ASSETS_DIR, sub_dir
from studio.errors import ServiceError, UploadTooLargeError

EXAMPLE_VIDEO = ASSETS_DIR / "example" / "example.mp4"
EXAMPLE_GROUND_TRUTH = ASSETS_DIR / "example" / "example_gt.json"
MAX_UPLOAD_ENV = "LOCO_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 200
CHUNK = 1 << 20
CONTAINER_MIME = {"mp4": "video/mp4", "mov": "video/mp4", "webm": "video/webm", "matroska": "video/webm",
                  "ogg": "video/ogg"}


def max_upload_mb() -> int:
    """The upload limit in MB (``LOCO_MAX_UPLOAD_MB``, default 200: Streamlit's own default cap)."""
    raw = os.environ.get(MAX_UPLOAD_ENV, "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        raise ServiceError(f"{MAX_UPLOAD_ENV} must be a whole number of MB, got {raw!r}") from None


@dataclass(frozen=True)
class SpooledVideo:
    path: Path
    sha256: str
    size: int


def spool_upload(stream: BinaryIO, max_bytes: int | None = None) -> SpooledVideo:
    """Copy an upload to ``<data>/uploads/<sha256>`` in chunks while hashing it: the file is named by its content,
    never by the user's file name, and an identical upload reuses the existing file."""
    limit = max_bytes if max_bytes is not None else max_upload_mb() * 1024 * 1024
    folder = sub_dir("uploads")
    digest, size = hashlib.sha256(), 0
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > limit:
                    raise UploadTooLargeError(f"the upload is larger than the limit of {limit / 2**20:.0f} MB")
                digest.update(block)
                out.write(block)
        if size == 0:
            raise ServiceError("the upload is empty")
        target = folder / digest.hexdigest()
        if target.is_file():
            Path(temporary).unlink()
        else:
            os.replace(temporary, target)
        return SpooledVideo(target, digest.hexdigest(), size)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def example_video() -> SpooledVideo:
    """The shipped example, used in place (its name is ours, not a user's)."""
    if not EXAMPLE_VIDEO.is_file():
        raise ServiceError(f"the example video is not installed ({EXAMPLE_VIDEO.relative_to(ASSETS_DIR.parent)})")
    return SpooledVideo(EXAMPLE_VIDEO, sha256_file(EXAMPLE_VIDEO), EXAMPLE_VIDEO.stat().st_size)


def is_example(video: SpooledVideo) -> bool:
    """Whether a video is the shipped example, by content."""
    return EXAMPLE_VIDEO.is_file() and video.sha256 == sha256_file(EXAMPLE_VIDEO)


def video_mime(container: str | None) -> str:
    """A MIME type for the player from the probed container name (``"mov,mp4,m4a,..."`` style names included)."""
    for part in (container or "").split(","):
        if part in CONTAINER_MIME:
            return CONTAINER_MIME[part]
    return "video/mp4"
