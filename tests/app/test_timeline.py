import json

import pytest

from storage import open_store
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


def _subtitles(at) -> tuple[int, str]:
    """How many events the caption says the player's subtitles hold, and the WebVTT track the timeline editor's
    player gets."""
    caption = next(c.value for c in at.caption if c.value.startswith("Subtitles: the "))
    return int(caption.split()[2]), json.loads(at.get("component_instance")[0].proto.json_args)["subtitles"]


def test_the_subtitles_follow_the_threshold_and_the_current_video(processed):
    store = open_store()
    other = store.record_video("second_video", processed.duration, original_name="second.mp4",
                               stored_path=store.video(processed.video_id).stored_path, container="mov,mp4")
    store.add_event(other, 1.0, 2.0, "dog barking")
    at = app_test().run()
    at.switch_page("pages/timeline.py").run()
    at.selectbox(key="video_pick").select(processed.video_id).run()
    at.slider(key="score_threshold").set_value(0.0).run()
    at.number_input(key="top_k").set_value(10).run()
    all_shown, all_url = _subtitles(at)
    assert all_shown == 10
    at.slider(key="score_threshold").set_value(0.03).run()
    few_shown, few_url = _subtitles(at)
    strong = sum(e.score >= 0.03 for e in store.current_events(processed.video_id))
    assert few_shown == min(10, strong) < 10 and few_url != all_url
    at.selectbox(key="video_pick").select(other).run()
    assert not errors_of(at)
    shown, url = _subtitles(at)
    assert shown == 1 and url not in (all_url, few_url)
