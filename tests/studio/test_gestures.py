import base64

import numpy as np
import pytest

from storage import ConflictError
from studio.editing import EditSession
from studio.gestures import Gesture, GestureError, apply_gesture
from studio.viz.audio import AudioRows
from studio.viz.editor import editor_audio, editor_view


@pytest.fixture
def store(store):
    """The conftest's store with this file's videos."""
    store.record_video("vid", 20.0)
    store.record_video("other", 20.0)
    return store


def run(store, session, **message):
    return apply_gesture(store, "vid", Gesture.from_message({"nonce": "n1", **message}), session)


def test_each_gesture_is_one_operation_and_one_session_step(store):
    session = EditSession()
    added = run(store, session, kind="add", label="dog barking", start=1.0, end=3.0)
    event = store.event(added.selected_id)
    assert (event.start, event.end, event.state) == (1.0, 3.0, "added") and added.message.startswith("added #")
    moved = run(store, session, kind="move", event_id=event.event_id, rev_no=event.rev_no, end=3.5)
    assert store.event(event.event_id).end == 3.5 and "3.50" in moved.message
    assert store.history(event.event_id)[-1].note == "timeline editor"
    head = store.event(event.event_id)
    run(store, session, kind="relabel", event_id=head.event_id, rev_no=head.rev_no, label="cat meowing")
    head = store.event(event.event_id)
    left = run(store, session, kind="split", event_id=head.event_id, rev_no=head.rev_no, at=2.0)
    assert left.selected_id == event.event_id and [e.end for e in store.current_events("vid")] == [2.0, 3.5]
    assert len(store.history(event.event_id)) == 4  # add, move, relabel, split: one revision per gesture
    undone = run(store, session, kind="undo")
    assert undone.message.startswith("undo:") and [e.end for e in store.current_events("vid")] == [3.5]
    run(store, session, kind="redo")
    assert len(store.current_events("vid")) == 2


def test_merge_then_session_undo_brings_both_back(store):
    session = EditSession()
    a = store.add_event("vid", 1.0, 2.0, "dog barking")
    b = store.add_event("vid", 3.0, 4.0, "dog barking")
    merged = run(store, session, kind="merge", event_id=a.event_id, rev_no=a.rev_no, other_id=b.event_id,
                 other_rev=b.rev_no)
    assert merged.message.startswith("merged #") and [(e.start, e.end) for e in store.current_events("vid")] == [
        (1.0, 4.0)]
    run(store, session, kind="undo")
    assert [(e.start, e.end) for e in store.current_events("vid")] == [(1.0, 2.0), (3.0, 4.0)]


def test_delete_restore_accept_reject(store):
    session = EditSession()
    event = store.add_event("vid", 1.0, 2.0, "dog barking")
    for kind, state in [("accept", "accepted"), ("reject", "rejected"), ("delete", "deleted"),
                        ("restore", "rejected")]:
        head = store.event(event.event_id)
        outcome = run(store, session, kind=kind, event_id=head.event_id, rev_no=head.rev_no)
        assert store.event(event.event_id).state == state and state in outcome.message


def test_a_gesture_based_on_a_stale_revision_changes_nothing(store):
    event = store.add_event("vid", 1.0, 2.0, "dog barking")
    store.move(event.event_id, event.rev_no, end=2.5, author="another tab")
    with pytest.raises(ConflictError):
        run(store, EditSession(), kind="move", event_id=event.event_id, rev_no=event.rev_no, start=0.5)
    assert (store.event(event.event_id).start, store.event(event.event_id).end) == (1.0, 2.5)


def test_a_gesture_on_another_videos_event_is_refused(store):
    foreign = store.add_event("other", 1.0, 2.0, "dog barking")
    with pytest.raises(GestureError, match="another video"):
        run(store, EditSession(), kind="delete", event_id=foreign.event_id, rev_no=foreign.rev_no)
    assert store.event(foreign.event_id).state == "added"


@pytest.mark.parametrize("message,error", [
    ("move", "a mapping"),
    ({"kind": "move"}, "nonce"),
    ({"nonce": "x", "kind": "explode"}, "unknown gesture"),
    ({"nonce": "x", "kind": "move", "event_id": 1, "rev_no": 1}, "start or end"),
    ({"nonce": "x", "kind": "add", "label": "dog", "start": 1.0}, "needs end"),
    ({"nonce": "x", "kind": "move", "event_id": 1.5, "rev_no": 1, "end": 2.0}, "whole number"),
    ({"nonce": "x", "kind": "move", "event_id": 1, "rev_no": 1, "end": float("nan")}, "finite"),
    ({"nonce": "x", "kind": "relabel", "event_id": 1, "rev_no": 1, "label": 3}, "text"),
])
def test_malformed_messages_are_refused(message, error):
    with pytest.raises(GestureError, match=error):
        Gesture.from_message(message)


def test_a_message_round_trips():
    gesture = Gesture("a:1", "move", event_id=3, rev_no=2, end=4.25)
    assert Gesture.from_message(gesture.as_message()) == gesture


def test_the_editor_view_is_compact_columns_in_lane_and_layer_order(store):
    store.record_inference_run("vid", [{"label": "dog barking", "start": 5.0, "end": 6.0, "score": 0.9},
                                       {"label": "cat meowing", "start": 1.0, "end": 2.0, "score": 0.2}])
    added = store.add_event("vid", 3.0, 4.0, "cat meowing")
    highs = np.zeros(5000)
    highs[4321] = 0.9  # one peak: it survives the reduction to the editor's width
    audio = AudioRows(np.linspace(0, 20, 5000), -highs, highs, np.linspace(0, 20, 3000), np.linspace(0, 8000, 4),
                      np.full((4, 3000), -40.0))
    view = editor_view(store.current_events("vid"), 20.0, fps=25.0, grid=store.grid,
                       classes=["dog barking", "cat meowing", "car passing by"],
                       audio=editor_audio(audio, 20.0, max_peaks=1000, max_columns=500), extra_lane="car passing by")
    assert view.lanes == ("dog barking", "cat meowing", "car passing by")
    assert view.events.start == (1.0, 3.0, 5.0) and view.events.lane == (1, 1, 0)
    assert [view.layers[i][0] for i in view.events.layer] == ["prediction", "corrected", "prediction"]
    assert view.events.score == (0.2, None, 0.9) and view.events.id[1] == added.event_id
    peaks, spectrogram = view.audio, view.audio.spectrogram
    assert len(peaks.peaks_max) == 1000 and max(peaks.peaks_max) == 0.9 and min(peaks.peaks_min) == -0.9
    levels = np.frombuffer(base64.b64decode(spectrogram.levels), np.uint8)
    assert (spectrogram.rows, spectrogram.columns) == (4, 500) and set(levels) == {128}
    assert view.to_json()["audio"]["spectrogram"]["rows"] == 4
    assert view.grid_hop == pytest.approx(0.32) and view.to_json()["events"]["rev"] == (1, 1, 1)
