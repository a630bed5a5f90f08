from __future__ import annotations

import pytest

from storage import ValidationError


def test_list_videos_with_review_status_and_counts(store, video):
    store.record_video("vid_b", duration=12.5, subset="test")
    store.add_event(video, 1.0, 3.0, "dog barking")
    gone = store.add_event(video, 4.0, 6.0, "dog barking")
    store.delete(gone.event_id, gone.rev_no)
    store.set_review(video, "in_progress", author="rev")
    summaries = {v.video_id: v for v in store.list_videos()}
    assert (summaries[video].review_status, summaries[video].n_events, summaries[video].state_counts) == (
        "in_progress", 1, {"added": 1})
    assert (summaries["vid_b"].review_status, summaries["vid_b"].n_events) == ("todo", 0)
    assert list(store.videos_df()["video_id"]) == [video, "vid_b"]


def test_record_video_validates(store, video):
    for bad_id in ("../etc/passwd", "", "a b", ".hidden"):
        with pytest.raises(ValidationError, match="video id"):
            store.record_video(bad_id, duration=3.0)
    with pytest.raises(ValidationError, match="positive"):
        store.record_video("zero", duration=0.0)
    with pytest.raises(ValidationError, match="unknown video field"):
        store.record_video("x1", duration=3.0, colour="red")
    store.add_event(video, 20.0, 28.0, "dog barking")
    with pytest.raises(ValidationError, match="would cut them"):
        store.record_video(video, duration=25.0)
    assert store.video(video).duration == 30.0
    with pytest.raises(ValidationError, match="review status"):
        store.set_review(video, "finished")
