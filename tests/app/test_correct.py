import pytest

from storage import open_store
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def open_correct():
    at = app_test().run()
    at.switch_page("pages/correct.py").run()
    assert not errors_of(at)
    return at


def selected(at, store):
    return store.event(at.session_state["selected_event"])


def test_edit_gestures_go_to_the_store_at_once(processed):
    store = open_store()
    at = open_correct()
    event = selected(at, store)
    at.button(key="nudge_start_right").click().run()  # one frame at 25 fps
    moved = store.event(event.event_id)
    assert moved.start == pytest.approx(min(event.start + 0.04, event.end)) and moved.rev_no == event.rev_no + 1
    assert moved.state == "edited"
    at.radio(key="nudge_unit").set_value("step").run()
    at.button(key="nudge_end_right").click().run()
    assert store.event(event.event_id).end == pytest.approx(min(moved.end + 0.32, processed.duration))
    at.button(key="undo").click().run()
    assert store.event(event.event_id).end == pytest.approx(moved.end)
    at.button(key="redo").click().run()
    at.button(key="accept").click().run()
    assert store.event(event.event_id).state == "accepted"
    assert any("accepted" in s.value for s in at.success)

    at.selectbox(key="add_label").select("dog barking").run()
    at.number_input(key="add_start").set_value(1.0).run()
    at.number_input(key="add_end").set_value(3.0).run()
    at.button(key="add").click().run()
    added = [e for e in store.current_events(processed.video_id, states=["added"]) if e.label == "dog barking"]
    assert [(e.start, e.end) for e in added] == [(1.0, 3.0)]

    at.selectbox(key="correct_pick").select(added[0].event_id).run()
    at.number_input(key=f"split_at_{added[0].event_id}_1").set_value(2.0).run()
    at.button(key="split").click().run()
    parts = sorted((e.start, e.end) for e in store.current_events(processed.video_id, labels=["dog barking"])
                   if e.origin == "human")
    assert parts == [(1.0, 2.0), (2.0, 3.0)]

    at.slider(key="bulk_threshold").set_value(0.0).run()
    at.button(key="bulk_accept").click().run()
    assert store.current_events(processed.video_id, states=["proposed"]) == []
    at.selectbox(key="review_status").select("done").run()
    assert next(v for v in store.list_videos() if v.video_id == processed.video_id).review_status == "done"


def test_invalid_edit_and_conflict_are_reported(processed):
    store = open_store()
    at = open_correct()
    at.number_input(key="add_start").set_value(3.0).run()
    at.number_input(key="add_end").set_value(2.0).run()
    at.button(key="add").click().run()
    assert any("start < end" in e.value for e in at.error)
    event = selected(at, store)
    store.move(event.event_id, event.rev_no, start=event.start, end=event.end, author="someone else")  # another session
    at.button(key="accept").click().run()
    assert any("Another session changed this event" in w.value for w in at.warning)
    assert store.event(event.event_id).author == "someone else"  # nothing overwritten


def test_a_click_drawn_for_another_event_changes_nothing(processed):
    store = open_store()
    at = open_correct()
    first = selected(at, store)
    other = next(e for e in store.current_events(processed.video_id) if e.event_id != first.event_id)
    at.selectbox(key="correct_pick").set_value(other.event_id)  # picked, but the page has not redrawn yet...
    at.button(key="nudge_end_right").click().run()  # ...when the click on the buttons drawn for the first arrives
    assert store.event(first.event_id).rev_no == first.rev_no and store.event(other.event_id).rev_no == other.rev_no
    assert any(f"#{other.event_id}" in w.value and "nothing was changed" in w.value for w in at.warning)
    at.button(key="nudge_end_right").click().run()  # the same click on the redrawn page moves the picked event
    assert store.event(other.event_id).rev_no == other.rev_no + 1 and store.event(first.event_id) == first


def test_a_value_changed_with_the_click_is_the_value_used(processed):
    store = open_store()
    at = open_correct()
    event = selected(at, store)
    at.radio(key="nudge_unit").set_value("step")  # each widget change reaches the app with the click, in one rerun
    at.button(key="nudge_end_right").click().run()
    assert store.event(event.event_id).end == pytest.approx(min(event.end + 0.32, processed.duration))
    moved = store.event(event.event_id)
    at.selectbox(key=f"relabel_{moved.event_id}_{moved.rev_no}").set_value("cat meowing")
    at.button(key="relabel").click().run()
    assert store.event(event.event_id).label == "cat meowing"
    at.selectbox(key="add_label").set_value("dog barking")
    at.number_input(key="add_start").set_value(1.0)
    at.number_input(key="add_end").set_value(2.5)
    at.button(key="add").click().run()
    added = store.current_events(processed.video_id, states=["added"])
    assert [(e.label, e.start, e.end) for e in added] == [("dog barking", 1.0, 2.5)]
