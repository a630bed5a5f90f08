"""The review queue: which predicted events a person should look at first.

Two signals, both per event: the model's own uncertainty (a score near 0.5 is a coin flip) and audio-visual
disagreement (a confident event where the LCC coherence is low: the model is sure, yet sound and picture do not agree
locally, a typical false positive of one stream). Plain functions on seconds; the coherence curves come from
``VideoInternals`` and are placed on the time axis by ``loco.grid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loco.grid import FeatureGrid


@dataclass(frozen=True)
class ReviewItem:
    event_id: int
    label: str
    start: float
    end: float
    score: float
    uncertainty: float  # 1 at score 0.5, 0 at scores 0 or 1
    coherence: float | None  # mean LCC coherence of both directions over the event (None: model without LCC)
    disagreement: float  # score * (1 - coherence)
    priority: float
    reason: str


def event_coherence(start: float, end: float, coherence_visual: np.ndarray, coherence_audio: np.ndarray,
                    grid: FeatureGrid) -> float:
    """Mean of both coherence curves over the steps centred inside ``[start, end]`` (the nearest step for an
    event shorter than one step)."""
    curve = (np.asarray(coherence_visual, dtype=np.float64) + np.asarray(coherence_audio, dtype=np.float64)) / 2.0
    times = grid.step_times(len(curve))
    inside = (times >= start) & (times <= end)
    if not inside.any():
        inside = np.zeros(len(curve), dtype=bool)
        inside[int(np.argmin(np.abs(times - (start + end) / 2.0)))] = True
    return float(curve[inside].mean())


def rank_for_review(events: Sequence, grid: FeatureGrid, coherence_visual: np.ndarray | None = None,
                    coherence_audio: np.ndarray | None = None, disagreement_weight: float = 0.5) -> list[ReviewItem]:
    """Scored events (objects with event_id, label, start, end, score), most in need of review first.
    ``priority = (1 - w) * uncertainty + w * disagreement``; unscored (human) events are skipped."""
    if not 0.0 <= disagreement_weight <= 1.0:
        raise ValueError(f"the disagreement weight must be in [0, 1], got {disagreement_weight}")
    has_lcc = coherence_visual is not None and coherence_audio is not None
    items = []
    for e in events:
        if e.score is None:
            continue
        score = float(e.score)
        uncertainty = 1.0 - abs(2.0 * score - 1.0)
        coherence = event_coherence(e.start, e.end, coherence_visual, coherence_audio, grid) if has_lcc else None
        disagreement = score * (1.0 - coherence) if coherence is not None else 0.0
        weight = disagreement_weight if has_lcc else 0.0
        priority = (1.0 - weight) * uncertainty + weight * disagreement
        reason = "audio-visual disagreement" if weight * disagreement > (1.0 - weight) * uncertainty else "uncertain score"
        items.append(ReviewItem(e.event_id, e.label, e.start, e.end, score, uncertainty, coherence, disagreement,
                                priority, reason))
    return sorted(items, key=lambda item: (-item.priority, item.start))
