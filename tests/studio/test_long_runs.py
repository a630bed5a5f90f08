"""Long videos stay small: what a page sends for a two-hour run, and the internals file of an hour."""

import json

import numpy as np
import plotly.io
import pytest

from loco.checkpoint import load_checkpoint
from loco.grid import UNAV_GRID
from loco.infer import predict_features
from studio.internals import save_internals
from studio.models import DEFAULT_MODEL
from studio.runs import timeline_events
from studio.viz import attention_figure, internals_figure, timeline_figure
from studio.viz.editor import editor_audio, editor_view
from tests.fixtures.long_run import TWO_HOURS, fake_audio_rows, fake_event_views, fake_internals, fake_predictions

PAGE_LIMIT = 5_000_000  # bytes of figures per page
HOUR_OF_INTERNALS = 20_000_000
CLASSES = [f"class {i}" for i in range(26)]


@pytest.fixture(scope="module")
def two_hours():
    steps = UNAV_GRID.num_steps(TWO_HOURS)
    events = fake_event_views(fake_predictions(TWO_HOURS, 3000, CLASSES))
    return fake_internals(steps), events, fake_audio_rows(TWO_HOURS)


def figure_bytes(figure) -> int:
    """What a page sends for a Plotly chart (``ui.plotly_chart``, as ``st.plotly_chart``, serialises with
    ``plotly.io.to_json``)."""
    return len(plotly.io.to_json(figure, validate=False))


@pytest.mark.parametrize("window", [None, (3600.0, 3660.0), (1000.0, 2800.0)])
@pytest.mark.parametrize("level", [0, 5])
def test_correspondence_page_of_two_hours_is_under_5_mb(two_hours, window, level):
    internals, _, _ = two_hours
    figure = internals_figure(internals, UNAV_GRID, level=level, head=1, direction="audio", token=4000 >> level,
                              band=2, selected=(3610.0, 3620.0), duration=TWO_HOURS, window=window)
    matrix = attention_figure(internals, UNAV_GRID, level=level, head=1, direction="audio", window=window)
    assert figure_bytes(figure) + figure_bytes(matrix) < PAGE_LIMIT
    assert np.asarray(figure.data[0].z).shape[0] <= 300


def test_timeline_and_correct_views_of_two_hours_are_under_5_mb(two_hours):
    _, events, audio = two_hours
    view = editor_view(events, TWO_HOURS, fps=25.0, grid=UNAV_GRID, classes=CLASSES,
                       audio=editor_audio(audio, TWO_HOURS))
    assert len(json.dumps(view.to_json())) < PAGE_LIMIT
    bars = timeline_events(events)
    for window in (None, (600.0, 900.0)):
        figure = timeline_figure(bars, TWO_HOURS, class_order=CLASSES, audio=audio, x_range=window)
        assert figure_bytes(figure) < PAGE_LIMIT
    shown = timeline_figure(bars, TWO_HOURS, class_order=CLASSES, x_range=(600.0, 900.0))
    assert 0 < sum(len(t.base) for t in shown.data) < len(bars) / 10  # culled to the span


@pytest.mark.slow
def test_the_internals_file_of_an_hour_is_under_20_mb(tmp_path):
    """The shipped model on random features of an hour (11,250 steps): no video decoded."""
    loaded = load_checkpoint(DEFAULT_MODEL)
    steps = UNAV_GRID.num_steps(3600.0)
    rng = np.random.default_rng(0)
    visual = rng.normal(size=(steps, loaded.config.model.visual_dim)).astype(np.float32)
    audio = rng.normal(size=(steps, loaded.config.model.audio_dim)).astype(np.float32)
    prediction = predict_features(loaded, visual, audio, 3600.0, with_internals=True)
    path = save_internals(tmp_path / "hour.npz", prediction.internals, loaded.grid)
    assert path.stat().st_size < HOUR_OF_INTERNALS
