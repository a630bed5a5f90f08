"""The time grid: the only place that converts between seconds, video frames and feature steps.

A feature step ``g`` summarises a window of ``window`` frames starting at frame ``stride * g``; its centre is
``t = (stride * g + window / 2) / fps`` seconds. With the UnAV-100 convention (25 fps, 24-frame windows, stride 8)
that is ``t = 0.32 g + 0.48``; forgetting the 0.48 s offset misaligns every heatmap against the video.
Pyramid level ``l`` has a stride of ``2 ** l`` steps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


def _scalar_or_array(values: np.ndarray):
    return float(values) if values.ndim == 0 else values


@dataclass(frozen=True)
class FeatureGrid:
    """A feature grid: frame rate, window length and stride in frames."""

    fps: float = 25.0
    window: int = 24
    stride: int = 8
    name: str = "unav"

    def __post_init__(self) -> None:
        if self.fps <= 0 or self.window <= 0 or self.stride <= 0:
            raise ValueError(f"grid needs positive fps, window and stride, got {self}")

    @property
    def hop_seconds(self) -> float:
        """Seconds between two consecutive steps (0.32 s on the UnAV grid)."""
        return self.stride / self.fps

    @property
    def offset_seconds(self) -> float:
        """Centre of step 0 in seconds (0.48 s on the UnAV grid)."""
        return self.window / 2.0 / self.fps

    @property
    def window_seconds(self) -> float:
        return self.window / self.fps

    def step_to_seconds(self, step):
        """Centre time of (fractional) step(s): a float for a scalar, an array for an array."""
        return _scalar_or_array((np.asarray(step, dtype=np.float64) * self.stride + self.window / 2.0) / self.fps)

    def seconds_to_step(self, seconds):
        """Fractional step whose centre is at ``seconds``; the inverse of :meth:`step_to_seconds`."""
        return _scalar_or_array((np.asarray(seconds, dtype=np.float64) * self.fps - self.window / 2.0) / self.stride)

    def nearest_step(self, seconds: float) -> int:
        """The step whose centre is closest to ``seconds`` (never negative)."""
        return max(0, int(round(self.seconds_to_step(seconds))))

    def frame_to_seconds(self, frame):
        return _scalar_or_array(np.asarray(frame, dtype=np.float64) / self.fps)

    def seconds_to_frame(self, seconds: float) -> int:
        """The frame (at the grid's fps) shown at ``seconds``."""
        return int(math.floor(seconds * self.fps + 1e-9))

    def step_window_frames(self, step: int) -> tuple[int, int]:
        """First and one-past-last grid frame of a step's window."""
        start = step * self.stride
        return start, start + self.window

    def num_steps(self, duration_seconds: float) -> int:
        """How many full windows fit in a video of this duration (at least 1 for any positive duration)."""
        if duration_seconds <= 0:
            return 0
        frames = int(math.floor(duration_seconds * self.fps + 1e-6))
        return max(1, (frames - self.window) // self.stride + 1)

    def step_times(self, num_steps: int) -> np.ndarray:
        """Centre times of steps ``0 .. num_steps-1`` in seconds."""
        return self.step_to_seconds(np.arange(num_steps))

    def level_stride_seconds(self, level: int) -> float:
        """Seconds spanned by one token at pyramid level ``level`` (stride ``2 ** level`` steps)."""
        return self.hop_seconds * (2**level)

    def level_token_times(self, level: int, num_tokens: int) -> np.ndarray:
        """Centre times (s) of the tokens of pyramid level ``level``: token ``i`` sits at step ``i * 2 ** level``."""
        return self.step_to_seconds(np.arange(num_tokens) * (2**level))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureGrid":
        return cls(**{k: data[k] for k in ("fps", "window", "stride", "name") if k in data})


UNAV_GRID = FeatureGrid(fps=25.0, window=24, stride=8, name="unav")
"""UnAV-100 convention: I3D/VGGish features, 0.32 s hop, step centres at 0.32 g + 0.48 s."""

ONE_PEACE_GRID = FeatureGrid(fps=16.0, window=16, stride=4, name="one_peace")
"""ONE-PEACE convention: 0.25 s hop, step centres at 0.25 g + 0.5 s."""

GRIDS = {g.name: g for g in (UNAV_GRID, ONE_PEACE_GRID)}


def grid_by_name(name: str) -> FeatureGrid:
    try:
        return GRIDS[name]
    except KeyError:
        raise ValueError(f"unknown grid {name!r}; known: {sorted(GRIDS)}") from None
