from __future__ import annotations

import pytest

from storage import ConflictError, NotFoundError, ValidationError


def _proposals(store, video):
    events = [{"label": "dog barking", "start": 1.0, "end": 4.0, "score": 0.9},
              {"label": "man speaking", "start": 5.0, "end": 9.0, "score": 0.4},
              {"label": "dog barking", "start": 12.0, "end": 15.0, "score": 0.7}]
    store.record_inference_run(video, events, params={"min_score": 0.1})
    return store.current_events(video)


def test_add_move_relabel_accept_reject_delete_restore(store, video):
    event = store.add_event(video, 2.0, 5.0, "dog barking", author="ann", note="seen at 2 s")
    assert (event.rev_no, event.state, event.origin, event.author) == (1, "added", "human", "ann")
    event = store.move(event.event_id, event.rev_no, start=2.5, end=6.0, author="ann")
    assert (event.start, event.end, event.rev_no, event.state) == (2.5, 6.0, 2, "added")
    event = store.relabel(event.event_id, event.rev_no, "cat meowing")
    assert event.label == "cat meowing" and event.label_id == store.class_names().index("cat meowing")
    event = store.delete(event.event_id, event.rev_no)
    assert store.current_events(video) == []
    assert [e.state for e in store.current_events(video, states=["deleted"])] == ["deleted"]
    with pytest.raises(ValidationError, match="restore it"):
        store.move(event.event_id, event.rev_no, start=1.0)
    event = store.restore(event.event_id, event.rev_no)
    assert event.state == "added"
    event = store.reject(event.event_id, event.rev_no)
    event = store.accept(event.event_id, event.rev_no)
    assert [h.action for h in store.history(event.event_id)] == [
        "add", "move", "relabel", "delete", "restore", "reject", "accept"]
    assert store.history(event.event_id)[0].note == "seen at 2 s"


@pytest.mark.parametrize("start,end,message", [
    (-1.0, 3.0, "0 <= start"), (5.0, 5.0, "start < end"), (25.0, 31.0, "duration"), (1.0, 1.2, "grid step"),
])
def test_invalid_times_are_refused_and_change_nothing(store, video, start, end, message):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    with pytest.raises(ValidationError, match=message):
        store.move(event.event_id, event.rev_no, start=start, end=end)
    with pytest.raises(ValidationError):
        store.add_event(video, start, end, "dog barking")
    assert store.event(event.event_id) == event
    assert len(store.current_events(video)) == 1


def test_unknown_label_video_and_event_are_refused(store, video):
    with pytest.raises(ValidationError, match="not in the taxonomy"):
        store.add_event(video, 1.0, 3.0, "a class nobody defined")
    with pytest.raises(NotFoundError, match="no video"):
        store.add_event("nope", 1.0, 3.0, "dog barking")
    with pytest.raises(NotFoundError, match="no event"):
        store.accept(999_999, 1)
    assert store.current_events() == []


def test_stale_edit_is_refused_with_a_message_and_nothing_is_overwritten(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    store.move(event.event_id, event.rev_no, end=4.0, author="first")
    with pytest.raises(ConflictError, match=r"changed since revision 1.*now at revision 2.*first"):
        store.relabel(event.event_id, event.rev_no, "cat meowing", author="second")
    current = store.event(event.event_id)
    assert (current.end, current.label, current.rev_no) == (4.0, "dog barking", 2)


def test_undo_and_redo_are_new_revisions(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    event = store.move(event.event_id, event.rev_no, end=5.0)
    event = store.relabel(event.event_id, event.rev_no, "cat meowing")
    event = store.undo(event.event_id, event.rev_no)
    assert (event.label, event.end) == ("dog barking", 5.0)
    event = store.undo(event.event_id, event.rev_no)
    assert (event.end, event.state) == (3.0, "added")
    with pytest.raises(ValidationError, match="nothing to undo"):
        store.undo(event.event_id, event.rev_no)
    event = store.redo(event.event_id, event.rev_no)
    assert event.end == 5.0
    assert store.can_undo_redo(event.event_id) == (True, True)
    event = store.move(event.event_id, event.rev_no, start=2.0)  # a new edit clears the redo stack
    with pytest.raises(ValidationError, match="nothing to redo"):
        store.redo(event.event_id, event.rev_no)
    assert [h.rev_no for h in store.history(event.event_id)] == list(range(1, 8))


def test_split_and_merge(store, video):
    event = store.add_event(video, 2.0, 10.0, "dog barking")
    left, right = store.split(event.event_id, event.rev_no, 6.0)
    assert (left.start, left.end, right.start, right.end, right.label) == (2.0, 6.0, 6.0, 10.0, "dog barking")
    assert right.note == f"split from event {event.event_id}"
    with pytest.raises(ValidationError, match="grid step"):
        store.split(left.event_id, left.rev_no, 2.1)
    merged = store.merge(left.event_id, left.rev_no, right.event_id, right.rev_no, label="cat meowing")
    assert (merged.start, merged.end, merged.label) == (2.0, 10.0, "cat meowing")
    assert [e.event_id for e in store.current_events(video)] == [left.event_id]
    assert store.event(right.event_id).state == "deleted"
    with pytest.raises(ConflictError):
        store.merge(left.event_id, left.rev_no, right.event_id, right.rev_no)


def test_filters_bulk_accept_and_dataframe(store, video):
    _proposals(store, video)
    human = store.add_event(video, 20.0, 22.0, "man speaking")
    assert len(store.current_events(video, min_score=0.5)) == 3  # two scored events pass; the human one always
    assert [e.start for e in store.current_events(video, labels=["dog barking"])] == [1.0, 12.0]
    assert [e.state for e in store.current_events(video, states=["added"])] == ["added"]
    assert store.bulk_accept(0.5, video_id=video, author="reviewer").count == 2
    states = {e.start: e.state for e in store.current_events(video)}
    assert states == {1.0: "accepted", 5.0: "proposed", 12.0: "accepted", 20.0: "added"}
    frame = store.current_events_df(video)
    assert list(frame["start"]) == [1.0, 5.0, 12.0, 20.0] and "rev_no" in frame.columns
    assert frame.loc[frame.event_id == human.event_id, "score"].isna().all()
    with pytest.raises(ValidationError, match="unknown state"):
        store.current_events(video, states=["nonsense"])
