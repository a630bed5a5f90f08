import json
from pathlib import Path

import plotly.io
import pytest

from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_internals_page_with_pickers(processed):
    at = app_test().run()
    at.switch_page("pages/correspondence.py").run()
    assert not errors_of(at)
    assert any(f"Run {processed.run_id}" in c.value for c in at.caption)
    at.selectbox(key="corr_level").select_index(1).run()
    at.selectbox(key="corr_head").select_index(2).run()
    at.radio(key="corr_direction").set_value("audio").run()
    at.toggle(key="corr_banded").set_value(True).run()
    at.slider(key="corr_time").set_value(2.4).run()
    at.toggle(key="corr_show_attention").set_value(True).run()
    assert not errors_of(at)
    window = next(c.value for c in at.caption if c.value.startswith("Token"))
    assert "of level 1" in window


def test_internals_page_explains_a_video_without_a_run(data_dir, processed):
    Path(processed.internals_path).unlink()
    at = app_test().run()
    at.switch_page("pages/correspondence.py").run()
    assert not at.exception
    assert any("no model run with internals" in i.value for i in at.info)


def test_the_caption_gives_both_windows_and_a_picked_event_is_explained(processed):
    at = app_test()
    at.session_state["score_threshold"] = 0.0  # the untrained model's proposals all score low
    at.run()
    at.switch_page("pages/correspondence.py").run()
    assert not errors_of(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Token"))
    assert caption.startswith("Token 0 of level 0: window ")
    assert "(predicted by CDP, head 0); effective window " in caption
    assert "(where 90% of its attention went)." in caption and caption.endswith(("They agree.", "than predicted."))
    assert any("How to read" in e.label for e in at.expander)
    at.selectbox(key="corr_event").select_index(1).run()
    assert not errors_of(at)
    assert "Why this event?" in [h.value for h in at.subheader]
    said = next(m.value for m in at.markdown if m.value.startswith("- During the event"))
    assert "Modality probe: not run yet." in said and "inside the event spread 90% of their attention" in said
    at.button(key="corr_probe").click().run()
    assert not errors_of(at)
    said = next(m.value for m in at.markdown if m.value.startswith("- During the event"))
    assert "Modality probe: not run yet." not in said and "Modality probe: " in said


def test_the_figure_goes_to_the_chart_component_in_the_page_theme(processed):
    at = app_test().run()
    at.switch_page("pages/correspondence.py").run()
    charts = at.get("component_instance")
    assert len(charts) == 1  # the attention matrix only once asked for
    figure = json.loads(json.loads(charts[0].proto.json_args)["figure"])
    assert ("S", "heatmap") in [(t.get("name"), t["type"]) for t in figure["data"]]
    template = figure["layout"]["template"]["layout"]
    assert template["yaxis"]["automargin"] and template["font"]["color"] == "#808495"  # not the placeholders
    assert plotly.io.templates["plotly_white"].layout.font.color == "#2a3f5f"  # made from a copy
    at.toggle(key="corr_show_attention").set_value(True).run()
    assert len(at.get("component_instance")) == 2
