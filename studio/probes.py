"""Modality probes: run the model again with one stream blanked and see which events survive.

An event that disappears without the audio depends on the audio, and so on. Blanking means all-zero features for that
stream (no information at all; the same for every profile). The matching is by label and temporal IoU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loco.checkpoint import LoadedModel
from loco.evaluate import segment_iou
from loco.features.registry import main_stream
from loco.infer import PredictedEvent, predict_features
from storage import RunView
from studio.errors import ServiceError
from studio.runs import run_features

STREAMS = ("audio", "visual")


@dataclass(frozen=True)
class ModalityDependence:
    label: str
    start: float
    end: float
    score: float
    score_without_audio: float
    score_without_visual: float
    depends_on: str  # "audio", "visual", "both" (needs both streams) or "either" (survives alone on each)


def blank(features: np.ndarray) -> np.ndarray:
    return np.zeros_like(features)


def matched_score(event, candidates: Sequence, min_tiou: float = 0.5) -> float:
    """The best score among same-label candidates overlapping ``event`` by at least ``min_tiou`` (0 if none)."""
    same = [c for c in candidates if c.label == event.label]
    tiou = segment_iou([event.start, event.end], [[c.start, c.end] for c in same])
    return float(max((c.score for c, overlap in zip(same, tiou) if overlap >= min_tiou), default=0.0))


def modality_dependence(full: Sequence, without_audio: Sequence, without_visual: Sequence, min_tiou: float = 0.5,
                        keep_ratio: float = 0.5) -> list[ModalityDependence]:
    """For each event of the full run: its score in each blanked run and which stream it needs. An event "keeps"
    when the blanked run still finds it with at least ``keep_ratio`` of its score."""
    rows = []
    for event in full:
        no_audio = matched_score(event, without_audio, min_tiou)
        no_visual = matched_score(event, without_visual, min_tiou)
        keeps_without_audio = no_audio >= keep_ratio * event.score
        keeps_without_visual = no_visual >= keep_ratio * event.score
        if keeps_without_audio and keeps_without_visual:
            depends = "either"
        elif keeps_without_audio:
            depends = "visual"
        elif keeps_without_visual:
            depends = "audio"
        else:
            depends = "both"
        rows.append(ModalityDependence(event.label, event.start, event.end, float(event.score), no_audio, no_visual,
                                       depends))
    return rows


def predict_run(loaded: LoadedModel, run: RunView, blank_stream: str | None = None) -> list[PredictedEvent]:
    """Re-run a model on a processed video's cached features (nothing stored), optionally with a stream blanked (an
    extra stream goes with the one it is read from: the face cue with the visual, the voice pitch with the audio)."""
    visual, audio, cues = run_features(run)
    if blank_stream not in (None, *STREAMS):
        raise ServiceError(f"stream must be one of {STREAMS}, got {blank_stream!r}")
    if blank_stream == "audio":
        audio = blank(audio)
    elif blank_stream == "visual":
        visual = blank(visual)
    cues = {name: blank(cue) if main_stream(name) == blank_stream else cue for name, cue in cues.items()}
    return predict_features(loaded, visual, audio, run.duration, cues=cues).events


def modality_probe(loaded: LoadedModel, run: RunView, min_score: float = 0.1) -> list[ModalityDependence]:
    """Which events of the run's video depend on which stream, for events scoring at least ``min_score``."""
    full = [e for e in predict_run(loaded, run) if e.score >= min_score]
    return modality_dependence(full, predict_run(loaded, run, "audio"), predict_run(loaded, run, "visual"))
