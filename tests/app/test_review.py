import pytest

from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_review_queue_and_modality_probe(processed):
    at = app_test().run()
    at.switch_page("pages/review.py").run()
    assert not errors_of(at)
    queue = at.dataframe[0].value
    assert len(queue) == min(50, processed.num_events)
    assert list(queue["priority"]) == sorted(queue["priority"], reverse=True)
    at.slider(key="probe_min_score").set_value(0.0).run()
    at.button(key="probe_go").click().run()
    assert not errors_of(at)
    probe = at.dataframe[1].value
    assert set(probe["depends on"]) <= {"audio", "visual", "both", "either"}
    pick = at.selectbox(key="review_pick").value
    at.button(key="review_open").click().run()
    assert at.session_state["selected_event"] == pick


def test_review_page_without_videos(data_dir):
    at = app_test().run()
    at.switch_page("pages/review.py").run()
    assert not at.exception
    assert any("No video yet" in i.value for i in at.info)
