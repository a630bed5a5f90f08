"""The one rule for video ids, shared by the datasets and the store: an id names files (``<id>.npz``, ``<id>_rgb.npy``),
so it must be a plain file name. It accepts UnAV-100's YouTube ids (which may start with '-'), the sha256 hex of an
upload and the extractor's path-derived ids, and refuses separators, control characters and a leading dot."""

from __future__ import annotations

import re

MAX_LENGTH = 128
_VIDEO_ID = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9_.-]{{0,{MAX_LENGTH - 1}}}")


class VideoIdError(ValueError):
    """A video id that is not a plain file name."""


def check_video_id(video_id: str) -> str:
    """``video_id`` unchanged if it is 1 to 128 letters, digits, '_', '-' or '.' (not first), else
    :class:`VideoIdError`. Without a separator or a leading dot no id can climb out of its folder; ``fullmatch`` (not
    ``$``, which also matches before a final newline) keeps control characters out."""
    if not isinstance(video_id, str) or not _VIDEO_ID.fullmatch(video_id):
        raise VideoIdError(f"video id {str(video_id)[:40]!r} is not a plain file name: use 1 to {MAX_LENGTH} letters, "
                           "digits, '_', '-' or '.' (not first)")
    return video_id
