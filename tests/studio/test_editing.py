import pytest

from studio.editing import TableEdits, add_from_box, apply_table_edits, nudge_event, snap_event
from studio.segments import SegmentError
from storage import ConflictError, ValidationError, open_store


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'loco.sqlite'}")
    store.record_video("vid", 10.0)
    yield store
    store.close()


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


def test_add_from_box_and_table_edits(store):
    event = add_from_box(store, "vid", [4.0, 2.0], "playing acoustic guitar", 10.0)
    assert (event.start, event.end, event.state) == (2.0, 4.0, "added")
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
