"""What the pages draw from a video's media besides the model's output: the audio rows under the timeline and the
frames at an event's boundaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from loco.media import AUDIO_RATE, iter_audio, iter_frames_at, probe
from studio.viz.audio import AudioRows, overview_rows


def audio_rows_of(media_path: Path, progress: Callable[[float], None] | None = None) -> AudioRows:
    """The overview rows of a video's audio (silence when it has none), decoded as a stream: one block of samples
    in memory whatever the length (an hour whole would be 230 MB). ``progress(fraction)`` as the decoding advances."""
    info = probe(media_path)
    total = max(1.0, info.duration * AUDIO_RATE)
    report = None if progress is None else (lambda samples: progress(min(1.0, samples / total)))
    return overview_rows(iter_audio(media_path, info), AUDIO_RATE, info.duration, report)


def boundary_frames(media_path: Path, times: list[float], size: int = 160) -> list[np.ndarray]:
    """RGB frames nearest to each time (in any order), square ``size`` pixels, for the frame strip."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    frames: dict[int, np.ndarray] = {}
    for position, frame in iter_frames_at(media_path, [max(0.0, times[i]) for i in order], short_side=size,
                                          crop=size):
        frames[order[position]] = frame.copy()
    return [frames[i] for i in range(len(times))]
