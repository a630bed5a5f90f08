from dataclasses import dataclass

import numpy as np
import pytest

from loco.config import LCCConfig
from loco.grid import UNAV_GRID
from loco.model.internals import VideoInternals
from studio.review import event_gate, rank_for_review, reason_for, share_above, span_mean


@dataclass
class Ev:
    event_id: int
    label: str
    start: float
    end: float
    score: float | None


def test_span_mean_averages_the_steps_inside_or_the_nearest():
    curve = np.array([0.0, 1.0, 0.5, 0.0, 0.0])  # steps at 0.48, 0.80, 1.12, 1.44, 1.76 s
    assert span_mean(curve, 0.7, 1.2, UNAV_GRID) == pytest.approx(0.75)
    assert span_mean(curve, 0.79, 0.81, UNAV_GRID) == pytest.approx(1.0)  # shorter than a step: the nearest


def test_share_above_is_the_rank_of_a_value_in_the_clip():
    assert share_above(np.array([0.1, 0.2, 0.3, 0.4]), 0.25) == 0.5
    assert share_above(np.array([0.1, 0.2]), 0.2) == 0.0


def test_rank_puts_uncertain_and_disagreeing_events_first_and_says_why():
    agreement = np.full(40, 0.6)
    agreement[20:30] = -0.1  # sound and picture do not go together around 6.9-9.8 s
    events = [
        Ev(1, "dog", 1.0, 2.0, 0.95),  # confident, agreeing: last
        Ev(2, "cat", 3.0, 4.0, 0.5),  # a coin flip where the streams agree
        Ev(3, "car", 7.0, 9.0, 0.15),  # a weak detection where they disagree
        Ev(4, "gt", 1.0, 2.0, None),  # human events are not queued
    ]
    ranked = rank_for_review(events, UNAV_GRID, agreement)
    assert [item.event_id for item in ranked] == [3, 2, 1]
    assert ranked[0].disagreement == pytest.approx(0.75) and ranked[0].agreement == pytest.approx(-0.1)
    assert ranked[0].reason.startswith("sound and picture agree less here than at 75% of the clip (agreement -0.10)")
    assert ranked[1].reason == "uncertain score (0.50)"
    assert ranked[2].disagreement == 0.0
    without_lcc = rank_for_review(events, UNAV_GRID)
    assert [item.event_id for item in without_lcc] == [2, 3, 1] and without_lcc[0].agreement is None
    assert without_lcc[1].reason == "score 0.15, far from 0.5"
    only_uncertainty = rank_for_review(events, UNAV_GRID, agreement, disagreement_weight=0.0)
    assert [item.event_id for item in only_uncertainty] == [2, 3, 1]
    with pytest.raises(ValueError):
        rank_for_review(events, UNAV_GRID, disagreement_weight=2)


def test_reason_names_both_signals_when_both_weigh():
    reason = reason_for(uncertainty=0.9, score=0.45, disagreement=0.8, agreement=0.1, weight=0.5)
    assert reason == ("uncertain score (0.45); sound and picture agree less here than at 80% of the clip "
                      "(agreement 0.10)")


def test_a_model_with_event_trained_gates_ranks_by_their_doubt_on_one_scale_for_every_clip():
    agreement = np.full(40, 0.6)
    gate = np.full(40, 0.9)
    gate[20:30] = 0.2  # the model's gates: sound and picture are not one event around 6.9-9.8 s
    events = [Ev(1, "dog", 1.0, 2.0, 0.95), Ev(3, "car", 7.0, 9.0, 0.95)]
    ranked = rank_for_review(events, UNAV_GRID, agreement, event_gate=gate)
    assert [item.event_id for item in ranked] == [3, 1]
    assert ranked[0].disagreement == pytest.approx(0.8) and ranked[1].disagreement == pytest.approx(0.1)
    assert ranked[0].priority == pytest.approx(0.5 * 0.1 + 0.5 * 0.8)
    assert ranked[0].reason == "the model doubts sound and picture are one event here (event gate 0.20)"
    # the agreement's rank in this clip would call both alike: the gate's doubt is absolute
    assert {item.disagreement for item in rank_for_review(events, UNAV_GRID, agreement)} == {0.0}


def test_the_event_gate_is_read_only_from_gates_trained_against_events():
    internals = VideoInternals(None, None, None, None, np.array([0.2, 0.4]), np.array([0.4, 0.6]), [np.zeros((1, 2))],
                               [np.zeros((1, 2))], [])
    assert event_gate(internals, LCCConfig(event_gate_weight=0.2)).tolist() == pytest.approx([0.3, 0.5])
    assert event_gate(internals, LCCConfig()) is None  # label-free gates say nothing about events
