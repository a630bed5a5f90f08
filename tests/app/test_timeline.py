import pytest

from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_timeline_shows_lanes_player_and_frames(processed):
    at = app_test().run()
    at.switch_page("pages/timeline.py").run()
    assert not errors_of(at)
    at.slider(key="score_threshold").set_value(0.0).run()
    caption = next(c.value for c in at.caption if "events shown" in c.value)
    assert caption.startswith(f"{min(100, processed.num_events)} of {processed.num_events} events shown")
    at.selectbox(key="timeline_jump").select_index(1).run()
    assert not errors_of(at)
    assert at.session_state["selected_event"] == at.selectbox(key="timeline_jump").value
    assert len(at.get("image")) >= 1  # the frame strip at the selected segment's boundaries
    at.number_input(key="top_k").set_value(3).run()
    assert any(c.value.startswith(f"3 of {processed.num_events}") for c in at.caption)


def test_timeline_without_videos_points_to_detect(data_dir):
    at = app_test().run()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert any("No video yet" in i.value for i in at.info)
