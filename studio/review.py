"""The review queue: which predicted events a person should look at first, and why each one is there.

Two signals per event, both in [0, 1]:

- **uncertainty** of the score: 1 at 0.5 (a coin flip), 0 at 0 or 1;
- **disagreement** of sound and picture: the event's same-step agreement (the LCC cosine ``S[t, t]`` of the two
  streams at the same step, averaged over the event) against the rest of its clip, as the share of the clip's steps
  that agree better. A sound heard with nothing of it on screen, or a picture that makes no sound, sits where the two
  streams agree less than elsewhere in the clip. The share is a rank within the clip, so it needs no scale fitted to a
  model or a video; models without LCC have no agreement and are ranked by uncertainty alone.

``priority = (1 - w) * uncertainty + w * disagreement`` with ``w`` = :data:`DISAGREEMENT_WEIGHT` fixed a priori (the
two signals count equally; nothing was tuned on a test split). How well this ranking finds false detections on sounds
without their picture and pictures without their sound is measured by ``experiments/review_queue.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loco.grid import FeatureGrid
from studio.viz.internals import token_span

DISAGREEMENT_WEIGHT = 0.5
"""The weight of disagreement against uncertainty, fixed a priori."""


@dataclass(frozen=True)
class ReviewItem:
    event_id: int
    label: str
    start: float
    end: float
    score: float
    uncertainty: float  # 1 at score 0.5, 0 at scores 0 or 1
    agreement: float | None  # mean same-step agreement S[t, t] over the event (None: model without LCC)
    disagreement: float | None  # share of the clip's steps whose agreement is higher than the event's
    priority: float
    reason: str


def span_mean(curve: np.ndarray, start: float, end: float, grid: FeatureGrid) -> float:
    """Mean of a per-step curve over the steps centred in ``[start, end]`` (at least one)."""
    first, stop = token_span(grid, 0, (start, end), len(curve))
    return float(np.mean(np.asarray(curve[first:stop], dtype=np.float64)))


def share_above(curve: np.ndarray, value: float) -> float:
    """Share of the curve's steps strictly above ``value``."""
    return float(np.mean(np.asarray(curve, dtype=np.float64) > value))


def reason_for(uncertainty: float, score: float, disagreement: float | None, agreement: float | None,
               weight: float) -> str:
    """Why an event is in the queue, in words: the signal that weighs more first, the other if it weighs at least
    half as much."""
    parts = [((1.0 - weight) * uncertainty,
              f"uncertain score ({score:.2f})" if uncertainty >= 0.5 else f"score {score:.2f}, far from 0.5")]
    if disagreement is not None:
        parts.append((weight * disagreement,
                      f"sound and picture agree less here than at {disagreement:.0%} of the clip (agreement "
                      f"{agreement:.2f})" if disagreement >= 0.5 else
                      f"sound and picture agree as well as at {1.0 - disagreement:.0%} of the clip"))
    parts.sort(key=lambda part: -part[0])
    kept = [text for share, text in parts if share >= parts[0][0] / 2.0]
    return "; ".join(kept)


def rank_for_review(events: Sequence, grid: FeatureGrid, agreement: np.ndarray | None = None,
                    disagreement_weight: float = DISAGREEMENT_WEIGHT) -> list[ReviewItem]:
    """Scored events (objects with event_id, label, start, end, score), most in need of review first;
    ``agreement`` is the run's same-step agreement per step (``S[t, t]``; None without LCC). Unscored (human)
    events are skipped."""
    if not 0.0 <= disagreement_weight <= 1.0:
        raise ValueError(f"the disagreement weight must be in [0, 1], got {disagreement_weight}")
    weight = disagreement_weight if agreement is not None else 0.0
    items = []
    for e in events:
        if e.score is None:
            continue
        score = float(e.score)
        uncertainty = 1.0 - abs(2.0 * score - 1.0)
        mean_agreement = disagreement = None
        if agreement is not None:
            mean_agreement = span_mean(agreement, e.start, e.end, grid)
            disagreement = share_above(agreement, mean_agreement)
        priority = (1.0 - weight) * uncertainty + weight * (disagreement or 0.0)
        items.append(ReviewItem(e.event_id, e.label, e.start, e.end, score, uncertainty, mean_agreement,
                                disagreement, priority,
                                reason_for(uncertainty, score, disagreement, mean_agreement, weight)))
    return sorted(items, key=lambda item: (-item.priority, item.start))
