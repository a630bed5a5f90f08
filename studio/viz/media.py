"""What the pages draw from a video's media besides the model's output: the audio rows under the timeline and the
frames at an event's boundaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loco.media import AUDIO_RATE, decode_audio, iter_frames_at
from studio.viz.audio import AudioRows, audio_rows


def audio_rows_of(media_path: Path) -> AudioRows:
    """Waveform and spectrogram rows of a video's audio (silence when it has none)."""
    return audio_rows(decode_audio(media_path), AUDIO_RATE)


def boundary_frames(media_path: Path, times: list[float], size: int = 160) -> list[np.ndarray]:
    """RGB frames nearest to each time (in any order), square ``size`` pixels, for the frame strip."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    frames: dict[int, np.ndarray] = {}
    for position, frame in iter_frames_at(media_path, [max(0.0, times[i]) for i in order], short_side=size,
                                          crop=size):
        frames[order[position]] = frame.copy()
    return [frames[i] for i in range(len(times))]
