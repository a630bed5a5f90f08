import pytest

from storage import open_store
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def open_correct(threshold=0.0):
    """The Correct page, showing every proposal of the untrained model (its scores are all under 0.1)."""
    at = app_test().run()
    at.switch_page("pages/correct.py").run()
    assert not errors_of(at)
    at.slider(key="score_threshold").set_value(threshold).run()
    return at


def selected(at, store):
    return store.event(at.session_state["selected_event"])


def pick_long(at, store, video_id, seconds=1.0):
    """Select a proposal that lasts at least ``seconds`` (nudges need room above the one-step minimum length)."""
    event = next(e for e in store.current_events(video_id) if e.end - e.start >= seconds)
    at.selectbox(key="correct_pick").select(event.event_id).run()
    return event


def test_edit_gestures_go_to_the_store_at_once(processed):
    store = open_store()
    at = open_correct()
    event = pick_long(at, store, processed.video_id)
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
    event = pick_long(at, store, processed.video_id)
    store.move(event.event_id, event.rev_no, start=event.start, end=event.end, author="someone else")  # another session
    at.button(key="accept").click().run()
    assert any("Another session changed this event" in w.value for w in at.warning)
    assert store.event(event.event_id).author == "someone else"  # nothing overwritten


def test_a_click_drawn_for_another_event_changes_nothing(processed):
    store = open_store()
    at = open_correct()
    first = pick_long(at, store, processed.video_id)
    other = next(e for e in store.current_events(processed.video_id)
                 if e.event_id != first.event_id and e.end - e.start >= 1.0)
    at.selectbox(key="correct_pick").set_value(other.event_id)  # picked, but the page has not redrawn yet...
    at.button(key="nudge_end_right").click().run()  # ...when the click on the buttons drawn for the first arrives
    assert store.event(first.event_id).rev_no == first.rev_no and store.event(other.event_id).rev_no == other.rev_no
    assert any(f"#{other.event_id}" in w.value and "nothing was changed" in w.value for w in at.warning)
    at.button(key="nudge_end_right").click().run()  # the same click on the redrawn page moves the picked event
    assert store.event(other.event_id).rev_no == other.rev_no + 1 and store.event(first.event_id) == first


def test_a_value_changed_with_the_click_is_the_value_used(processed):
    store = open_store()
    at = open_correct()
    event = pick_long(at, store, processed.video_id)
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


def test_the_page_follows_the_threshold_and_top_k_and_starts_at_the_best_proposal(processed):
    store = open_store()
    at = open_correct(threshold=0.1)  # the default: the untrained model's proposals all score under it
    assert any("No proposal scores 0.10 or more" in i.value for i in at.info)
    at.slider(key="score_threshold").set_value(0.0).run()
    at.number_input(key="top_k").set_value(5).run()
    best = sorted(store.current_events(processed.video_id), key=lambda e: -e.score)[:5]
    assert at.selectbox(key="correct_pick").options[0].startswith(f"#{best[0].event_id} ")
    assert len(at.selectbox(key="correct_pick").options) == 5
    assert at.session_state["selected_event"] == best[0].event_id
    merge_with = at.selectbox(key=f"merge_with_{best[0].event_id}")
    gaps = [max(0.0, max(e.start, best[0].start) - min(e.end, best[0].end)) for e in best[1:]]
    assert merge_with.value == best[1:][gaps.index(min(gaps))].event_id  # the nearest, not the first listed
    at.switch_page("pages/timeline.py").run()
    assert at.slider(key="score_threshold").value == 0.0 and at.number_input(key="top_k").value == 5  # shared


def test_an_event_is_found_by_its_exact_number(processed):
    store = open_store()
    at = open_correct()
    events = store.current_events(processed.video_id)
    target, deleted = events[7], events[8]
    store.delete(deleted.event_id, deleted.rev_no)
    at.text_input(key="correct_goto").input(f"#{target.event_id}").run()
    assert at.session_state["selected_event"] == target.event_id
    at.text_input(key="correct_goto").input(f"#{deleted.event_id}").run()  # never the one next to it
    assert at.session_state["selected_event"] == target.event_id
    assert any(f"#{deleted.event_id} is deleted" in i.value for i in at.info)
    assert at.toggle(key="show_deleted").value and at.selectbox(key="deleted_pick").value == deleted.event_id
    at.text_input(key="correct_goto").input("#999999").run()
    assert any("no event #999999" in e.value for e in at.error)


def test_delete_then_restore_and_session_undo_of_a_merge_bring_everything_back(processed):
    store = open_store()
    at = open_correct()
    event = pick_long(at, store, processed.video_id)
    partner = store.event(at.selectbox(key=f"merge_with_{event.event_id}").value)
    at.button(key="merge").click().run()
    assert store.event(partner.event_id).state == "deleted"
    assert "merge of" in at.button(key="session_undo").label
    at.button(key="session_undo").click().run()
    assert store.event(event.event_id).start == event.start and store.event(event.event_id).end == event.end
    assert store.event(partner.event_id).state == partner.state  # the absorbed event is back too
    at.button(key="session_redo").click().run()
    assert store.event(partner.event_id).state == "deleted"
    at.toggle(key="show_deleted").set_value(True).run()
    assert at.selectbox(key="deleted_pick").value == partner.event_id
    at.button(key="restore").click().run()
    assert store.event(partner.event_id).state == partner.state
    assert at.session_state["selected_event"] == partner.event_id  # the restored event is selected
    at.button(key="delete").click().run()
    at.button(key="session_undo").click().run()  # undo the delete, whatever event is selected now
    assert store.event(partner.event_id).state == partner.state


def test_typed_times_and_a_typed_nudge_amount_take_one_click(processed):
    store = open_store()
    at = open_correct()
    event = pick_long(at, store, processed.video_id)
    at.number_input(key=f"start_{event.event_id}_{event.rev_no}").set_value(1.25)
    at.number_input(key=f"end_{event.event_id}_{event.rev_no}").set_value(3.5)
    at.button(key="set_times").click().run()
    moved = store.event(event.event_id)
    assert (moved.start, moved.end, moved.rev_no) == (1.25, 3.5, event.rev_no + 1)
    at.radio(key="nudge_unit").set_value("amount")
    at.number_input(key="nudge_amount").set_value(0.5)
    at.button(key="nudge_end_left").click().run()
    nudged = store.event(event.event_id)
    assert nudged.end == pytest.approx(3.0) and nudged.rev_no == moved.rev_no + 1


def test_bulk_reject_below_a_score_leaves_the_rest(processed):
    store = open_store()
    at = open_correct()
    scores = sorted(e.score for e in store.current_events(processed.video_id))
    cut = round(scores[len(scores) // 2], 2)
    at.slider(key="bulk_threshold").set_value(cut).run()
    at.button(key="bulk_reject").click().run()
    events = store.current_events(processed.video_id)
    assert {e.state for e in events if e.score < cut} == {"rejected"}
    assert {e.state for e in events if e.score >= cut} == {"proposed"}
    assert any("Rejected" in s.value for s in at.success)
    at.button(key="session_undo").click().run()
    assert {e.state for e in store.current_events(processed.video_id)} == {"proposed"}
