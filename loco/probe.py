"""Modality probes: run the model again with one stream blanked and see which events survive.

An event that disappears without the audio depends on the audio, and so on. Blanking means all-zero features for that
stream (no information at all; the same for every profile). The matching is by label and temporal IoU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

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


def temporal_iou(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    inter = max(0.0, min(a_end, b_end) - max(a_start, b_start))
    union = max(a_end, b_end) - min(a_start, b_start)
    return inter / union if union > 0 else 0.0


def matched_score(event, candidates: Sequence, min_tiou: float = 0.5) -> float:
    """The best score among same-label candidates overlapping ``event`` by at least ``min_tiou`` (0 if none)."""
    scores = [c.score for c in candidates
              if c.label == event.label and temporal_iou(event.start, event.end, c.start, c.end) >= min_tiou]
    return float(max(scores, default=0.0))


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
