"""Gestures: the revisions one correction wrote are reverted together (a merge, a split, a bulk review), with the same
conflict checks as any edit, and the per-event undo agrees with it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import ConflictError, NotFoundError, ValidationError


def _span(event):
    return event.start, event.end, event.state


def test_undoing_a_merge_brings_both_events_back_and_redo_merges_again(store, video):
    kept = store.add_event(video, 2.0, 5.0, "dog barking")
    absorbed = store.add_event(video, 6.0, 9.0, "dog barking")
    absorbed = store.accept(absorbed.event_id, absorbed.rev_no)
    merged = store.merge(kept.event_id, kept.rev_no, absorbed.event_id, absorbed.rev_no, author="ann")
    gesture = store.gesture(merged.gesture_id)
    assert (gesture.action, gesture.subject, gesture.author) == ("merge", "merge", "ann")
    assert {e.event_id: e.state for e in gesture.events} == {kept.event_id: "added", absorbed.event_id: "deleted"}

    undone = store.revert_gesture(merged.gesture_id, author="ann")
    assert (undone.action, undone.subject, undone.reverts_id) == ("undo", "merge", merged.gesture_id)
    assert _span(store.event(kept.event_id)) == (2.0, 5.0, "added")
    assert _span(store.event(absorbed.event_id)) == (6.0, 9.0, "accepted")  # not left deleted
    assert [e.event_id for e in store.current_events(video)] == [kept.event_id, absorbed.event_id]

    redone = store.revert_gesture(undone.gesture_id)  # reverting the undo is its redo
    assert (redone.action, redone.subject) == ("redo", "merge")
    assert _span(store.event(kept.event_id)) == (2.0, 9.0, "added")
    assert store.event(absorbed.event_id).state == "deleted"
    again = store.revert_gesture(redone.gesture_id)
    assert again.action == "undo" and _span(store.event(absorbed.event_id)) == (6.0, 9.0, "accepted")
    assert [h.action for h in store.history(absorbed.event_id)] == ["add", "accept", "merge", "undo", "redo", "undo"]
    assert {h.gesture_id for h in store.history(kept.event_id)[1:]} == {
        merged.gesture_id, undone.gesture_id, redone.gesture_id, again.gesture_id}


def test_undoing_a_split_gives_the_whole_event_back_and_deletes_the_right_part(store, video):
    event = store.add_event(video, 2.0, 10.0, "dog barking")
    left, right = store.split(event.event_id, event.rev_no, 6.0)
    assert left.gesture_id == right.gesture_id and left.action == right.action == "split"
    undone = store.revert_gesture(left.gesture_id)
    assert {e.event_id for e in undone.events} == {left.event_id, right.event_id}
    assert _span(store.event(left.event_id)) == (2.0, 10.0, "added")
    assert store.event(right.event_id).state == "deleted"
    assert store.can_undo_redo(right.event_id) == (False, True)  # the per-event replay agrees: its creation undone
    back = store.redo(right.event_id, store.event(right.event_id).rev_no)
    assert _span(back) == (6.0, 10.0, "added")


def test_undoing_an_add_deletes_the_event_and_its_redo_brings_it_back(store, video):
    added = store.add_event(video, 1.0, 3.0, "dog barking")
    undone = store.revert_gesture(added.gesture_id)
    assert store.current_events(video) == [] and undone.events[0].state == "deleted"
    store.revert_gesture(undone.gesture_id)
    assert _span(store.event(added.event_id)) == (1.0, 3.0, "added")


def test_a_gesture_whose_event_changed_since_is_refused_and_changes_nothing(store, video):
    kept = store.add_event(video, 2.0, 5.0, "dog barking")
    other = store.add_event(video, 6.0, 9.0, "dog barking")
    merged = store.merge(kept.event_id, kept.rev_no, other.event_id, other.rev_no, author="ann")
    absorbed = store.event(other.event_id)
    store.restore(absorbed.event_id, absorbed.rev_no, author="bob")  # another session, in between
    before = {e.event_id: store.event(e.event_id) for e in (kept, other)}
    with pytest.raises(ConflictError, match=rf"event {other.event_id} was changed after the merge \(gesture "
                                            rf"{merged.gesture_id}\).*restore by bob.*cannot undo the merge.*nothing"):
        store.revert_gesture(merged.gesture_id, author="ann")
    assert {e: store.event(e) for e in before} == before
    with pytest.raises(NotFoundError, match="no gesture"):
        store.revert_gesture(999_999)


def test_gestures_undo_newest_first_on_one_event_and_balanced_changes_do_not_block(store, video):
    added = store.add_event(video, 1.0, 3.0, "dog barking")
    moved = store.move(added.event_id, added.rev_no, end=4.0)
    bob = store.relabel(moved.event_id, moved.rev_no, "cat meowing", author="bob")
    store.undo(bob.event_id, bob.rev_no, author="bob")  # bob's change, undone: the move is in effect again
    undone_move = store.revert_gesture(moved.gesture_id)
    assert (store.event(added.event_id).end, store.event(added.event_id).label) == (3.0, "dog barking")
    store.revert_gesture(added.gesture_id)  # the older gesture, now on top of the event's history
    assert store.event(added.event_id).state == "deleted"
    with pytest.raises(ConflictError, match="changed after the move"):
        store.revert_gesture(undone_move.gesture_id)  # its redo: the add's undo came after it and is in effect


def test_a_per_event_undo_of_a_merge_or_split_reverts_the_whole_gesture(store, video):
    kept = store.add_event(video, 1.0, 3.0, "dog barking")
    absorbed = store.add_event(video, 4.0, 6.0, "dog barking")
    merged = store.merge(kept.event_id, kept.rev_no, absorbed.event_id, absorbed.rev_no)
    undone = store.undo(merged.event_id, merged.rev_no)
    assert (undone.start, undone.end) == (1.0, 3.0) and store.event(absorbed.event_id).state == "added"
    assert store.gesture(undone.gesture_id).subject == "merge"
    back = store.event(absorbed.event_id)
    store.redo(back.event_id, back.rev_no)  # the redo, from the other event, merges both again
    assert (store.event(kept.event_id).end, store.event(absorbed.event_id).state) == (6.0, "deleted")
    left, right = store.split(kept.event_id, store.event(kept.event_id).rev_no, 2.0)
    store.undo(right.event_id, right.rev_no)
    assert store.event(right.event_id).state == "deleted" and store.event(kept.event_id).end == 6.0


def test_reverting_a_per_event_undo_redoes_it(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    event = store.move(event.event_id, event.rev_no, end=4.0)
    undone = store.undo(event.event_id, event.rev_no)
    assert undone.end == 3.0 and store.gesture(undone.gesture_id).subject == "move"
    redone = store.revert_gesture(undone.gesture_id)
    assert redone.action == "redo" and store.event(event.event_id).end == 4.0
    assert store.can_undo_redo(event.event_id) == (True, False)


def test_bulk_reject_below_a_threshold_is_one_gesture_and_leaves_reviewed_events(store, video):
    store.record_inference_run(video, [
        {"label": "dog barking", "start": 1.0, "end": 4.0, "score": 0.9},
        {"label": "man speaking", "start": 5.0, "end": 9.0, "score": 0.2},
        {"label": "dog barking", "start": 12.0, "end": 15.0, "score": 0.05},
        {"label": "dog barking", "start": 16.0, "end": 18.0, "score": 0.1},
    ])
    low = next(e for e in store.current_events(video) if e.score == 0.05)
    store.accept(low.event_id, low.rev_no)
    rejected = store.bulk_reject(0.3, video, author="reviewer")
    assert (rejected.action, rejected.count) == ("bulk_reject", 2)
    states = {e.score: e.state for e in store.current_events(video)}
    assert states == {0.9: "proposed", 0.2: "rejected", 0.05: "accepted", 0.1: "rejected"}
    assert store.bulk_reject(0.3, video).gesture_id is None  # nothing left to reject: no gesture
    store.revert_gesture(rejected.gesture_id)
    assert {e.score: e.state for e in store.current_events(video)} == {**states, 0.2: "proposed", 0.1: "proposed"}
    accepted = store.bulk_accept(0.0, video)
    assert accepted.count == 3 and {e.state for e in accepted.events} == {"accepted"}


def test_merge_and_split_of_a_deleted_event_are_refused(store, video):
    a = store.add_event(video, 1.0, 3.0, "dog barking")
    b = store.add_event(video, 4.0, 6.0, "dog barking")
    b = store.delete(b.event_id, b.rev_no)
    with pytest.raises(ValidationError, match="restore it before merging"):
        store.merge(a.event_id, a.rev_no, b.event_id, b.rev_no)
    with pytest.raises(ValidationError, match="restore it before splitting"):
        store.split(b.event_id, b.rev_no, 5.0)


def test_the_database_refuses_to_change_a_gesture(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    for statement in ("UPDATE gesture SET action = 'x'", "DELETE FROM gesture"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    assert store.gesture(event.gesture_id).action == "add"


def test_a_proposal_shorter_than_a_grid_step_can_be_reviewed_and_undone(store, video):
    store.record_inference_run(video, [{"label": "dog barking", "start": 1.0, "end": 1.1, "score": 0.5},
                                       {"label": "dog barking", "start": 5.0, "end": 5.1, "score": 0.5}])
    short = store.current_events(video)[0]
    accepted = store.accept(short.event_id, short.rev_no)  # the model's length, not a new one
    moved = store.move(accepted.event_id, accepted.rev_no, end=2.0)
    assert store.undo(moved.event_id, moved.rev_no).end == 1.1  # back to content that existed
    rejected = store.bulk_reject(0.9, video)
    assert rejected.count == 1 and store.revert_gesture(rejected.gesture_id).events[0].state == "proposed"
    with pytest.raises(ValidationError, match="grid step"):  # new times still obey the minimum
        store.move(short.event_id, store.event(short.event_id).rev_no, end=1.2)
