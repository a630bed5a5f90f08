from dataclasses import dataclass

import numpy as np
import pytest

from loco.grid import UNAV_GRID
from studio.review import event_coherence, rank_for_review


@dataclass
class Ev:
    event_id: int
    label: str
    start: float
    end: float
    score: float | None


def test_event_coherence_averages_the_steps_inside():
    cv = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
    ca = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    # steps at 0.48, 0.80, 1.12, 1.44, 1.76 s
    assert event_coherence(0.7, 1.2, cv, ca, UNAV_GRID) == pytest.approx(0.75)
    assert event_coherence(0.79, 0.81, cv, ca, UNAV_GRID) == pytest.approx(0.5)  # shorter than a step: nearest


def test_rank_puts_uncertain_and_disagreeing_events_first():
    steps = 40
    coherence = np.full(steps, 0.9)
    coherence[20:30] = 0.05  # sound and picture disagree around 6.9-9.8 s
    events = [
        Ev(1, "dog", 1.0, 2.0, 0.95),  # confident, coherent: last
        Ev(2, "cat", 3.0, 4.0, 0.5),  # coin flip
        Ev(3, "car", 7.0, 9.0, 0.95),  # confident, incoherent
        Ev(4, "gt", 1.0, 2.0, None),  # human events are not queued
    ]
    ranked = rank_for_review(events, UNAV_GRID, coherence, coherence)
    assert [item.event_id for item in ranked] == [2, 3, 1]
    assert ranked[0].reason == "uncertain score" and ranked[1].reason == "audio-visual disagreement"
    leaning_on_lcc = rank_for_review(events, UNAV_GRID, coherence, coherence, disagreement_weight=0.8)
    assert [item.event_id for item in leaning_on_lcc] == [3, 2, 1]
    without_lcc = rank_for_review(events, UNAV_GRID)
    assert [item.event_id for item in without_lcc][0] == 2 and without_lcc[0].coherence is None
    with pytest.raises(ValueError):
        rank_for_review(events, UNAV_GRID, disagreement_weight=2)
