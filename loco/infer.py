"""Video-level inference: features of one video -> events in seconds (+ the model's internals on a time axis).

The model and its post-processing work in feature steps; this module is where detections become seconds (through the
grid, clamped to the video) so the app, the CLI and validation during training all report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np
import torch

from loco.grid import FeatureGrid

if TYPE_CHECKING:  # imported for annotations only; the model package loads lazily with the checkpoint
    from loco.checkpoint import LoadedModel
    from loco.model.internals import VideoInternals
    from loco.model.postprocess import Detection


class InferenceInputError(ValueError):
    """Features that cannot be run through the model (wrong rank, empty, not finite)."""


@dataclass(frozen=True)
class PredictedEvent:
    """One detected event, in seconds."""

    label: str
    label_id: int
    start: float
    end: float
    score: float


@dataclass
class VideoPrediction:
    """Events of one video (best first) and, when asked for, the internals with their time axes in seconds."""

    events: list[PredictedEvent]
    duration: float
    num_steps: int
    step_times: np.ndarray  # [T] centre of each feature step, seconds
    level_times: list[np.ndarray] = field(default_factory=list)  # per pyramid level, token centres in seconds
    internals: "VideoInternals | None" = None


def video_duration(grid: FeatureGrid, num_steps: int) -> float:
    """The shortest duration whose grid has ``num_steps`` windows: used when the caller does not know it."""
    return ((num_steps - 1) * grid.stride + grid.window) / grid.fps


def detections_to_seconds(
    detections: Iterable["Detection"], grid: FeatureGrid, duration: float
) -> list[tuple[int, float, float, float]]:
    """``(label_id, start_s, end_s, score)`` per detection: step -> seconds through the grid, clamped to the video."""
    out = []
    for d in detections:
        start = min(max(float(grid.step_to_seconds(d.start)), 0.0), duration)
        end = min(max(float(grid.step_to_seconds(d.end)), 0.0), duration)
        out.append((int(d.label), start, end, float(d.score)))
    return out


def pad_multiple(num_levels: int) -> int:
    """Sequences are padded to a multiple of the coarsest pyramid stride, so every level has whole tokens."""
    return 2 ** max(num_levels - 1, 0)


def _as_features(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[0] == 0:
        raise InferenceInputError(f"{name} features must be a non-empty [T, C] array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InferenceInputError(f"{name} features contain NaN or infinite values")
    return array.astype(np.float32, copy=False)


@torch.inference_mode()
def predict_features(
    loaded: "LoadedModel",
    visual: np.ndarray,
    audio: np.ndarray,
    duration: float | None,
    with_internals: bool = False,
    score_threshold: float = 0.0,
) -> VideoPrediction:
    """Run the model on one video's features (any length T; the streams are truncated to the shorter one)."""
    from loco.model.postprocess import decode_detections

    visual = _as_features(visual, "visual")
    audio = _as_features(audio, "audio")
    loaded.check_features(visual.shape[1], audio.shape[1], loaded.profile)
    num_steps = min(len(visual), len(audio))
    grid = loaded.grid
    duration = float(duration) if duration is not None else video_duration(grid, num_steps)
    model_cfg = loaded.config.model
    padded = -(-num_steps // pad_multiple(model_cfg.pyramid_levels)) * pad_multiple(model_cfg.pyramid_levels)
    device = next(loaded.model.parameters()).device
    visual_t = torch.zeros(1, visual.shape[1], padded, device=device)
    audio_t = torch.zeros(1, audio.shape[1], padded, device=device)
    visual_t[0, :, :num_steps] = torch.from_numpy(np.ascontiguousarray(visual[:num_steps].T)).to(device)
    audio_t[0, :, :num_steps] = torch.from_numpy(np.ascontiguousarray(audio[:num_steps].T)).to(device)
    mask = torch.zeros(1, padded, dtype=torch.bool, device=device)
    mask[0, :num_steps] = True

    output = loaded.model(visual_t, audio_t, mask, return_internals=with_internals)
    evidence = None
    if loaded.config.postprocess.label_prior_weight > 0:
        from loco.label_prior import LabelPrior

        evidence = [LabelPrior(loaded.class_names).evidence(visual[:num_steps], audio[:num_steps])]
    detections = decode_detections(output, loaded.config.postprocess, len(loaded.class_names), evidence)[0]
    events = [
        PredictedEvent(loaded.class_names[label_id], label_id, start, end, score)
        for label_id, start, end, score in detections_to_seconds(detections, grid, duration)
        if score >= score_threshold and end > start
    ]
    events.sort(key=lambda e: -e.score)
    level_tokens = [int(m[0].sum()) for m in output.masks]
    return VideoPrediction(
        events=events,
        duration=duration,
        num_steps=num_steps,
        step_times=grid.step_times(num_steps),
        level_times=[grid.level_token_times(level, n) for level, n in enumerate(level_tokens)],
        internals=output.internals.video(0) if with_internals and output.internals is not None else None,
    )
