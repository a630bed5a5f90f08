from collections import Counter

import pytest

from loco.label_prior import DEFAULT_WEIGHT
from storage import open_store
from studio import jobs
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def wait_for_job(at, key="detect_job", timeout=120):
    job_id = at.session_state[key]
    state = jobs.wait(job_id, timeout)
    assert state.finished, state
    return state


def test_upload_detect_then_reopen_from_cache(data_dir, clip):
    at = app_test().run()
    assert not at.exception
    at.radio(key="detect_source").set_value("Upload a video").run()
    assert not errors_of(at)
    at.file_uploader(key="upload").upload("my clip.mp4", clip.read_bytes(), "video/mp4").run()
    at.button(key="detect_go").click().run()
    state = wait_for_job(at)
    assert state.status == "done", state.error
    at.run()
    events = open_store().current_events(state.result["video_id"])
    found = [e for e in events if e.score >= 0.1]  # the Timeline's default threshold
    messages = [m.value.replace("\\", "") for m in [*at.success, *at.info]]
    expected = f"Found {len(found)} event" if found else f"No event scores 0.10 or more ({len(events)} weaker"
    assert any(m.startswith(expected) for m in messages), messages  # what was found, not the decoder's cap
    uploads = list((data_dir / "uploads").iterdir())
    assert [p.name for p in uploads] == [state.result["video_id"]]  # named by content, not by "my clip.mp4"
    at.session_state["score_threshold"] = 0.0  # the Timeline's threshold, which the summary follows
    at.button(key="detect_go").click().run()
    top = sorted(Counter(e.label for e in events).items(), key=lambda item: (-item[1], item[0]))[0]
    summary = next(s.value.replace("\\", "") for s in at.success)
    assert summary.startswith(f"Already processed, from the cache. Found {len(events)} events scoring 0.00 or more: "
                              f"{top[0]} ×{top[1]}")


def test_a_non_video_upload_fails_with_a_clear_message(data_dir):
    at = app_test().run()
    at.radio(key="detect_source").set_value("Upload a video").run()
    at.file_uploader(key="upload").upload("notes.mp4", b"this is not a video at all" * 100, "video/mp4").run()
    at.button(key="detect_go").click().run()
    state = wait_for_job(at)
    assert state.status == "failed"
    at.run()
    assert any("Detection failed" in e.value for e in at.error)
    assert open_store().list_videos() == []  # nothing was stored


def test_the_example_is_one_click_away_with_its_ground_truth(data_dir):
    at = app_test().run()
    assert not errors_of(at)  # the example is the default source
    at.button(key="detect_go").click().run()
    state = wait_for_job(at, timeout=300)
    assert state.status == "done", state.error
    events = open_store().current_events(state.result["video_id"])
    assert sum(e.origin == "import" for e in events) == 5  # the shipped ground truth, as its own layer
    assert sum(e.origin == "model" for e in events) == state.result["num_events"]


def test_the_label_prior_follows_the_default_model_and_each_choice_has_its_own_run(data_dir):
    at = app_test().run()
    assert not at.checkbox(key="detect_label_prior").value  # the shipped checkpoint carries 0, chosen on dev
    at.button(key="detect_go").click().run()
    state = wait_for_job(at, timeout=300)
    assert state.status == "done", state.error
    video_id = state.result["video_id"]
    assert [(r.profile, r.label_prior) for r in open_store().runs(video_id)] == [("fast", 0.0)]
    at.run()
    at.checkbox(key="detect_label_prior").check().run()
    at.button(key="detect_go").click().run()
    assert not any("from the cache" in s.value for s in at.success)  # the run with the prior is another run
    assert wait_for_job(at, timeout=300).status == "done"
    assert sorted(r.label_prior for r in open_store().runs(video_id)) == [0.0, DEFAULT_WEIGHT]
