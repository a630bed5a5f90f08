import pytest

from storage import open_store
from studio import jobs
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_evaluate_a_model_on_a_snapshot_and_compare_two_models(processed):
    store = open_store()
    store.accept(*(lambda e: (e.event_id, e.rev_no))(store.current_events(processed.video_id)[0]))
    store.create_snapshot("eval", [processed.video_id], splits={processed.video_id: "test"})
    at = app_test().run()
    at.switch_page("pages/train.py").run()
    assert not errors_of(at)
    at.button(key="eval_go").click().run()
    state = jobs.wait(at.session_state["eval_job"], 120)
    assert state.status == "done", state.error
    assert set(state.result["summary"]) >= {"mAP@0.5", "avg"}
    agnostic = state.result["agnostic_summary"]  # the same detections, names ignored (loco.evaluate.class_agnostic)
    assert set(agnostic) == set(state.result["summary"]) and all(0.0 <= v <= 1.0 for v in agnostic.values())
    at.run()
    assert len(at.dataframe) >= 2  # the summary and the per-class table
    assert list(at.dataframe[0].value.index) == ["by class", "any class (found, whatever the name)"]
    at.button(key="compare_go").click().run()
    assert not errors_of(at)
    assert len(at.get("component_instance")) == 1  # the two models' events, drawn by ui.plotly_chart


def test_evaluating_a_split_without_videos_says_so(processed):
    store = open_store()
    store.create_snapshot("train only", [processed.video_id], splits={processed.video_id: "train"})
    at = app_test().run()
    at.switch_page("pages/train.py").run()
    assert at.selectbox(key="eval_split").value == "train"  # the split this snapshot has is the default
    assert any("validates on 0" in c.value for c in at.caption)
    at.selectbox(key="eval_split").select("test").run()
    at.button(key="eval_go").click().run()
    state = jobs.wait(at.session_state["eval_job"], 60)
    assert state.status == "failed" and "no 'test' videos" in state.error
    at.run()
    assert any("Evaluation failed" in e.value for e in at.error)
