import pytest

from studio import editing
from studio.editing import EditSession, TableEdits, apply_table_edits, nudge_event, snap_event
from studio.errors import ServiceError
from studio.segments import SegmentError
from storage import ConflictError, ValidationError


@pytest.fixture
def store(store):
    """The conftest's store with this file's videos."""
    store.record_video("vid", 10.0)
    return store


def test_nudge_and_snap_write_revisions(store):
    a = store.add_event("vid", 1.0, 3.0, "dog barking")
    b = store.add_event("vid", 3.1, 5.0, "dog barking")
    moved = nudge_event(store, a, "end", 0.04, 10.0)
    assert moved.end == pytest.approx(3.04) and moved.rev_no == 2
    snapped = snap_event(store, b, [moved, b], None, 10.0, tolerance=0.2)
    assert snapped.start == pytest.approx(3.04)
    gridded = snap_event(store, moved, [moved], store.grid, 10.0, tolerance=0.0)
    assert gridded.start == pytest.approx(1.12) and gridded.end == pytest.approx(3.04)  # step centres 0.32 g + 0.48
    with pytest.raises(ConflictError):
        nudge_event(store, moved, "start", 0.04, 10.0)  # stale revision
    with pytest.raises(SegmentError):
        nudge_event(store, gridded, "start", 5.0, 10.0)


def test_table_edits(store):
    event = store.add_event("vid", 2.0, 4.0, "playing acoustic guitar")
    other = store.add_event("vid", 6.0, 7.0, "dog barking")
    rows = store.current_events("vid")
    edits = TableEdits.from_state({"edited_rows": {"0": {"label": "dog barking", "end": 4.5}},
                                   "added_rows": [{"label": "car passing by", "start": 8, "end": 9}],
                                   "deleted_rows": [1]})
    done = apply_table_edits(store, "vid", rows, edits)
    assert len(done) == 4
    first = store.event(event.event_id)
    assert (first.label, first.end) == ("dog barking", 4.5)
    assert store.event(other.event_id).state == "deleted"
    assert [e.label for e in store.current_events("vid")] == ["dog barking", "car passing by"]
    with pytest.raises(ValidationError):
        apply_table_edits(store, "vid", store.current_events("vid"), TableEdits({0: {"start": 9.9}}))
    with pytest.raises(ValueError, match="number"):
        apply_table_edits(store, "vid", store.current_events("vid"), TableEdits({0: {"start": "soon"}}))
    assert TableEdits.from_state(None).empty


def test_undoing_a_merge_from_the_kept_event_brings_the_absorbed_one_back(store):
    kept = store.add_event("vid", 1.0, 3.0, "dog barking")
    absorbed = store.add_event("vid", 4.0, 6.0, "dog barking")
    merged = editing.merge(store, kept, absorbed)
    assert store.current_events("vid") == [merged]
    undone = editing.undo(store, merged)
    assert {(e.event_id, e.start, e.end, e.state) for e in store.gesture(undone.gesture_id).events} == {
        (kept.event_id, 1.0, 3.0, "added"), (absorbed.event_id, 4.0, 6.0, "added")}
    redone = editing.redo(store, store.event(absorbed.event_id))  # from either event
    assert redone.action == "redo" and [e.event_id for e in store.current_events("vid")] == [kept.event_id]
    moved = editing.move_to(store, store.event(kept.event_id), end=5.5)  # an ordinary edit: undone on its own
    assert editing.undo(store, moved).end == 6.0 and store.event(absorbed.event_id).state == "deleted"


def test_session_undo_and_redo_go_back_through_gestures_whatever_the_event(store):
    session = EditSession()
    a = editing.add_event(store, "vid", 1.0, 3.0, "dog barking", session=session)
    b = store.add_event("vid", 5.0, 7.0, "dog barking")  # not this session's gesture
    a = editing.move_to(store, a, start=1.5, end=2.5, session=session)
    left, right = editing.split(store, b, 6.0, session=session)
    assert session.next_undo.description == f"split of #{left.event_id} and #{right.event_id}"
    session.undo(store)
    assert [(e.start, e.end) for e in store.current_events("vid")] == [(1.5, 2.5), (5.0, 7.0)]
    session.undo(store)
    assert store.event(a.event_id).start == 1.0
    session.undo(store)
    assert [e.event_id for e in store.current_events("vid")] == [b.event_id]  # the add undone: a is deleted
    with pytest.raises(ServiceError, match="nothing to undo"):
        session.undo(store)
    session.redo(store)
    session.redo(store)
    assert (store.event(a.event_id).start, store.event(a.event_id).state) == (1.5, "added")
    editing.relabel(store, store.event(a.event_id), "cat meowing", session=session)  # a new gesture clears redo
    assert session.next_redo is None
    with pytest.raises(ServiceError, match="nothing to redo"):
        session.redo(store)


def test_session_undo_refuses_a_gesture_whose_event_changed_since_and_moves_on(store):
    session = EditSession()
    a = editing.add_event(store, "vid", 1.0, 3.0, "dog barking", session=session)
    b = editing.add_event(store, "vid", 5.0, 7.0, "dog barking", session=session)
    store.move(b.event_id, b.rev_no, end=8.0, author="another tab")
    with pytest.raises(ConflictError, match=rf"undo of add of #{b.event_id} refused.*another tab.*leaves this "):
        session.undo(store)
    assert store.event(b.event_id).end == 8.0  # nothing changed
    session.undo(store)  # the next undo goes to the gesture before
    assert store.event(a.event_id).state == "deleted"


def test_bulk_reject_below_the_threshold_is_one_session_step(store):
    store.record_inference_run("vid", [{"label": "dog barking", "start": s, "end": s + 1.0, "score": s / 10}
                                       for s in (1.0, 2.0, 5.0, 8.0)])
    session = EditSession()
    rejected = editing.bulk_reject(store, "vid", 0.5, session=session)
    assert rejected.count == 2 and session.next_undo.description == "bulk reject of #1 and #2"
    assert editing.bulk_reject(store, "vid", 0.5, session=session).count == 0  # nothing: no new step
    session.undo(store)
    assert {e.state for e in store.current_events("vid")} == {"proposed"}


@pytest.mark.parametrize("text,number", [("#209", 209), ("209", 209), (" # 17 ", 17)])
def test_an_event_number_is_read_exactly(text, number):
    assert editing.parse_event_id(text) == number


@pytest.mark.parametrize("text", ["", "#", "20a9", "dog", "#-3"])
def test_anything_else_is_refused(text):
    with pytest.raises(ServiceError, match="event number"):
        editing.parse_event_id(text)


def test_an_undo_of_one_event_is_a_session_step_named_by_what_it_reverted(store):
    session = EditSession()
    kept = store.add_event("vid", 1.0, 3.0, "dog barking")
    absorbed = store.add_event("vid", 4.0, 6.0, "dog barking")
    merged = editing.merge(store, kept, absorbed, session=session)
    editing.undo(store, merged, session=session)
    assert session.next_undo.description == f"undo of the merge of #{kept.event_id} and #{absorbed.event_id}"
    session.undo(store)  # undoing that undo merges them again
    assert store.event(absorbed.event_id).state == "deleted"
