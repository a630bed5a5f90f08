import numpy as np
import pytest

from loco.grid import UNAV_GRID
from studio.viz import TimelineEvent, internals_figure
from tests.studio.test_viz import make_internals, without_lcc

EVENTS = [
    TimelineEvent(1, "dog barking", 1.0, 3.0, None, "ground truth"),
    TimelineEvent(2, "dog barking", 1.2, 2.9, 0.8, "prediction", "proposed"),
    TimelineEvent(3, "cat meowing", 4.0, 5.5, None, "corrected", "added"),
]


def test_event_lanes_share_the_axis_and_a_picked_event_is_marked_on_every_panel():
    internals = make_internals()
    fig = internals_figure(internals, UNAV_GRID, events=EVENTS, selected=(1.2, 2.9), duration=7.0)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert set(bars) == {"ground truth", "prediction", "corrected"}
    assert [row[0] for row in bars["prediction"].customdata] == [2]  # the event id, for picking
    assert fig.layout.annotations[0].text.startswith("events")
    axes = {name: axis for name, axis in fig.layout.to_plotly_json().items() if name.startswith("xaxis")}
    anchors = {axis.get("matches") for axis in axes.values()} - {None}
    assert len(axes) == 5 and len(anchors) == 1  # every panel's x axis follows one: a shared seconds axis
    block = next(s for s in fig.layout.shapes if s.name == "event block")
    assert (block.x0, block.x1, block.y0, block.y1) == (1.2, 2.9, 1.2, 2.9)
    steps = next(t for t in fig.data if t.name == "event steps")
    assert min(steps.x) >= 1.2 and max(steps.x) <= 2.9 and len(steps.x) == 4 * 5  # 4 curves x steps 3..7
    windows = next(t for t in fig.data if t.name == "event's windows")
    centres = np.asarray(windows.y, dtype=float)
    assert np.nanmin(centres) >= 1.2 and np.nanmax(centres) <= 2.9


def test_effective_windows_are_drawn_beside_the_predicted_ones():
    internals = make_internals()
    fig = internals_figure(internals, UNAV_GRID, level=0, head=1, direction="audio", token=5)
    effective = next(t for t in fig.data if t.name.startswith("effective window"))
    predicted = next(t for t in fig.data if t.name.startswith("CDP window"))
    assert len(effective.x) == len(predicted.x) == 3 * 20
    shade = [s for s in fig.layout.shapes if s.fillcolor == "#bcbd22"]
    assert len(shade) == 1 and shade[0].x0 < shade[0].x1  # token 5's effective window on its attention row


def test_without_lcc_the_selection_still_marks_the_windows():
    fig = internals_figure(without_lcc(make_internals()), UNAV_GRID, events=EVENTS, selected=(1.2, 2.9))
    names = [t.name for t in fig.data]
    assert "event's windows" in names and "event steps" not in names
    assert not [s for s in fig.layout.shapes if s.name == "event block"]
    assert len(fig.layout.annotations) == 3 and fig.layout.height == pytest.approx(30 * 2 + 40 + 270 + 166)
