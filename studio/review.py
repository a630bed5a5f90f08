"""The review queue: which predicted events a person should look at first, and why each one is there.

Two signals per event, both in [0, 1]:

- **uncertainty** of the score: 1 at 0.5 (a coin flip), 0 at 0 or 1;
- **disagreement** of sound and picture: the event's same-step agreement (the LCC cosine ``S[t, t]`` of the two
  streams at the same step, averaged over the event) against the rest of its clip, as the share of the clip's steps
  that agree better. A sound heard with nothing of it on screen, or a picture that makes no sound, sits where the two
  streams agree less than elsewhere in the clip. The share is a rank within the clip, so it needs no scale fitted to a
  model or a video; models without LCC have no agreement and are ranked by uncertainty alone.
  A model whose LCC gates were trained against the annotated events (``model.lcc.event_gate_weight`` > 0) knows
  better: its gates are its own probability that a step is part of an event, so the disagreement is one minus their
  mean over the event (``event_gate``), on one scale for every clip, and priorities compare across videos.

``priority = (1 - w) * uncertainty + w * disagreement`` with ``w`` = :data:`DISAGREEMENT_WEIGHT` fixed a priori (the
two signals count equally; nothing was tuned on a test split). How well this ranking finds false detections on sounds
without their picture and pictures without their sound is measured by ``experiments/review_queue.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loco.config import LCCConfig
from loco.grid import FeatureGrid
from loco.model.internals import VideoInternals
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
    disagreement: float | None  # share of the clip's steps agreeing better, or 1 - the event gate's mean
    priority: float
    reason: str


def span_mean(curve: np.ndarray, start: float, end: float, grid: FeatureGrid) -> float:
    """Mean of a per-step curve over the steps centred in ``[start, end]`` (at least one)."""
    first, stop = token_span(grid, 0, (start, end), len(curve))
    return float(np.mean(np.asarray(curve[first:stop], dtype=np.float64)))


def share_above(curve: np.ndarray, value: float) -> float:
    """Share of the curve's steps strictly above ``value``."""
    return float(np.mean(np.asarray(curve, dtype=np.float64) > value))


def event_gate(internals: VideoInternals, lcc: LCCConfig) -> np.ndarray | None:
    """The mean of LCC's two gates per step when the model trained them against the annotated events (then they are
    its probability that the step is part of an event); None otherwise."""
    if lcc.event_gate_weight <= 0 or internals.gate_visual is None or internals.gate_audio is None:
        return None
    return (internals.gate_visual + internals.gate_audio) / 2.0


def reason_for(uncertainty: float, score: float, disagreement: float | None, agreement: float | None,
               weight: float, gated: bool = False) -> str:
    """Why an event is in the queue, in words: the signal that weighs more first, the other if it weighs at least
    half as much. ``gated``: the disagreement is one minus the event gate's mean (:func:`rank_for_review`)."""
    parts = [((1.0 - weight) * uncertainty,
              f"uncertain score ({score:.2f})" if uncertainty >= 0.5 else f"score {score:.2f}, far from 0.5")]
    if disagreement is not None and gated:
        parts.append((weight * disagreement,
                      f"the model doubts sound and picture are one event here (event gate {1.0 - disagreement:.2f})"
                      if disagreement >= 0.5 else
                      f"the model finds sound and picture one event here (event gate {1.0 - disagreement:.2f})"))
    elif disagreement is not None:
        parts.append((weight * disagreement,
                      f"sound and picture agree less here than at {disagreement:.0%} of the clip (agreement "
                      f"{agreement:.2f})" if disagreement >= 0.5 else
                      f"sound and picture agree as well as at {1.0 - disagreement:.0%} of the clip"))
    parts.sort(key=lambda part: -part[0])
    kept = [text for share, text in parts if share >= parts[0][0] / 2.0]
    return "; ".join(kept)


def rank_for_review(events: Sequence, grid: FeatureGrid, agreement: np.ndarray | None = None,
                    disagreement_weight: float = DISAGREEMENT_WEIGHT,
                    event_gate: np.ndarray | None = None) -> list[ReviewItem]:
    """Scored events (objects with event_id, label, start, end, score), most in need of review first;
    ``agreement`` is the run's same-step agreement per step (``S[t, t]``; None without LCC), ``event_gate`` the mean
    of its two gates per step where they were trained against events (None otherwise: the disagreement is then the
    agreement's rank in the clip). Unscored (human) events are skipped."""
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
            disagreement = (1.0 - span_mean(event_gate, e.start, e.end, grid) if event_gate is not None
                            else share_above(agreement, mean_agreement))
        priority = (1.0 - weight) * uncertainty + weight * (disagreement or 0.0)
        items.append(ReviewItem(e.event_id, e.label, e.start, e.end, score, uncertainty, mean_agreement,
                                disagreement, priority,
                                reason_for(uncertainty, score, disagreement, mean_agreement, weight,
                                           event_gate is not None)))
    return sorted(items, key=lambda item: (-item.priority, item.start))
