from dataclasses import dataclass

import pytest

from loco.grid import UNAV_GRID
from studio.segments import (
    Interval,
    SegmentError,
    filter_by_score,
    gap,
    nearest,
    neighbour_edges,
    nudge,
    nudge_step,
    snap_interval,
    snap_to_candidates,
    snap_to_frame,
    snap_to_grid,
    shown_events,
)


def test_nudge_moves_one_edge_and_clamps_to_the_video():
    iv = Interval(1.0, 3.0)
    assert nudge(iv, "start", -0.04, duration=10) == Interval(0.96, 3.0)
    assert nudge(iv, "end", 0.32, duration=10) == Interval(1.0, 3.32)
    assert nudge(iv, "start", -5, duration=10) == Interval(0.0, 3.0)
    assert nudge(Interval(8, 9.9), "end", 1, duration=10) == Interval(8, 10)


def test_nudge_both_keeps_length_at_the_ends():
    assert nudge(Interval(9.0, 9.5), "both", 1.0, duration=10) == Interval(9.5, 10.0)
    assert nudge(Interval(0.2, 1.0), "both", -1.0, duration=10) == Interval(0.0, 0.8)


def test_nudge_refuses_to_cross_the_other_edge():
    with pytest.raises(SegmentError, match="minimum length"):
        nudge(Interval(1.0, 1.5), "start", 0.4, duration=10, min_length=0.32)
    with pytest.raises(SegmentError):
        nudge(Interval(1.0, 1.5), "end", -0.6, duration=10)
    with pytest.raises(SegmentError, match="edge"):
        nudge(Interval(1.0, 1.5), "middle", 0.1, duration=10)


def test_nudge_step_units():
    assert nudge_step("step", UNAV_GRID) == pytest.approx(0.32)
    assert nudge_step("frame", UNAV_GRID, video_fps=30) == pytest.approx(1 / 30)
    assert nudge_step("frame", UNAV_GRID) == pytest.approx(1 / 25)
    assert nudge_step("amount", UNAV_GRID, amount=0.5) == 0.5
    for unit, amount in (("minute", None), ("amount", None), ("amount", 0.0), ("amount", float("nan"))):
        with pytest.raises(SegmentError):
            nudge_step(unit, UNAV_GRID, amount=amount)


def test_snap_to_candidates_takes_the_nearest_within_tolerance():
    assert snap_to_candidates(2.05, [1.0, 2.0, 2.2], 0.1) == 2.0
    assert snap_to_candidates(2.5, [1.0, 2.0], 0.1) == 2.5


def test_snap_to_grid_uses_step_centres_with_the_offset():
    assert snap_to_grid(0.5, UNAV_GRID) == pytest.approx(0.48)
    assert snap_to_grid(0.0, UNAV_GRID) == pytest.approx(0.48)  # step 0 is centred at 0.48 s
    assert snap_to_grid(3.3, UNAV_GRID) == pytest.approx(0.48 + 0.32 * 9)
    assert snap_to_grid(9.99, UNAV_GRID, duration=9.9) == pytest.approx(9.9)


def test_snap_to_frame():
    assert snap_to_frame(1.013, 25) == pytest.approx(1.0)
    assert snap_to_frame(1.021, 25) == pytest.approx(1.04)
    with pytest.raises(SegmentError):
        snap_to_frame(1.0, 0)


def test_snap_interval_prefers_neighbours_then_grid():
    neighbours = [Interval(0.0, 2.0), Interval(5.0, 6.0)]
    assert neighbour_edges(neighbours) == [0.0, 2.0, 5.0, 6.0]
    snapped = snap_interval(Interval(2.1, 4.9), neighbours=neighbours, tolerance=0.2, duration=10)
    assert snapped == Interval(2.0, 5.0)
    gridded = snap_interval(Interval(2.9, 4.0), neighbours=neighbours, tolerance=0.2, grid=UNAV_GRID, duration=10)
    assert gridded.start == pytest.approx(0.48 + 0.32 * 8)
    assert gridded.end == pytest.approx(0.48 + 0.32 * 11)


def test_snap_interval_refuses_a_collapsed_segment():
    with pytest.raises(SegmentError, match="shorter"):
        snap_interval(Interval(1.95, 2.05), neighbours=[Interval(0, 2.0)], tolerance=0.2, min_length=0.32)


@dataclass
class Scored:
    name: str
    score: float | None


def test_filter_by_score_threshold_and_top_k():
    events = [Scored("a", 0.2), Scored("b", 0.9), Scored("c", 0.5), Scored("gt", None)]
    assert [e.name for e in filter_by_score(events, 0.3)] == ["gt", "b", "c"]
    assert [e.name for e in filter_by_score(events, 0.0, top_k=2)] == ["gt", "b"]
    assert filter_by_score(events, 0.95, top_k=0) == []


@dataclass(frozen=True)
class Span:
    name: str
    start: float
    end: float
    score: float | None = 0.5


def test_shown_events_are_the_proposals_over_the_threshold_best_first_then_the_annotations():
    events = [Span("low", 0, 1, 0.05), Span("gt late", 8, 9, None), Span("best", 2, 3, 0.9), Span("gt", 1, 2, None),
              Span("mid", 4, 5, 0.4)]
    assert [e.name for e in shown_events(events, 0.1)] == ["best", "mid", "gt", "gt late"]
    assert [e.name for e in shown_events(events, 0.0, top_k=1)] == ["best", "gt", "gt late"]


def test_the_nearest_event_is_the_one_with_the_smallest_gap():
    assert gap(Interval(1, 2), Interval(3, 4)) == 1 and gap(Interval(1, 3), Interval(2, 4)) == 0
    others = [Span("far", 20, 22), Span("next", 5.5, 7), Span("before", 0.5, 2.5), Span("inside", 3.5, 4)]
    assert nearest(Interval(3, 5), others).name == "inside"
    assert nearest(Interval(3, 5), others[:3]).name == "next"  # both 0.5 s away: the closer centre wins
    assert nearest(Interval(3, 5), []) is None
