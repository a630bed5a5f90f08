"""The timeline editor in Chromium, driven with real mouse drags and key presses on the Correct and Timeline pages;
every test checks the database. Each test works on events of its own, in a class no other event of the video has
(the untrained model's proposals all score under the page's 0.1 threshold, so only annotations are drawn), and
deletes them afterwards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from storage import open_store
from tests.browser import ui
from tests.browser.editor import Inputs, TimelineEditor

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FPS = 25.0
FRAME = 1 / FPS
CONFLICT = "Another session changed this event."
THRESHOLD = 0.1  # the score threshold the pages start with: weaker proposals are not drawn


@pytest.fixture
def store(app_server):
    opened = open_store(app_server.database_url)
    yield opened
    opened.close()


@pytest.fixture
def made(store, detected_example):
    """Events added for one test (``made(label, start, end)``), in a class the video has no other event of; deleted
    at the end so the next test (and the journey's exports) do not see them."""
    created = []

    def add(label: str, start: float, end: float):
        busy = {e.label for e in store.current_events(detected_example.video_id)
                if e.event_id not in created and (e.score is None or e.score >= THRESHOLD)}
        assert label not in busy, f"{label!r} already has events in the video: pick another class"
        event = store.add_event(detected_example.video_id, start, end, label, author="test setup")
        created.append(event.event_id)
        return event

    yield add
    for event_id in created:
        head = store.event(event_id)
        if head.state != "deleted":
            store.delete(event_id, head.rev_no, author="test teardown")


def correct_page(new_page, app_server) -> tuple:
    page = new_page()
    ui.open_on_video(page, app_server.url, "correct", "Correct")
    return page, TimelineEditor(page)


def selected_in_page(page, event_id: int) -> None:
    expect(ui.combobox(page, "Selected event")).to_have_value(re.compile(rf"^#{event_id} "))


def detected_example_duration(store, detected_example) -> float:
    return store.video(detected_example.video_id).duration


def zoom_on(editor: TimelineEditor, event_id: int) -> None:
    """Select the event and zoom in 4x around it: a frame is then several pixels wide, so a drag lands on the frame
    it aims at."""
    editor.click_bar(event_id)
    editor.button("zoom-in")
    editor.button("zoom-in")


def test_a_click_selects_and_drags_move_an_edge_and_the_body(new_page, app_server, store, made, detected_example):
    event = made("playing violin", 2.0, 3.0)
    page, editor = correct_page(new_page, app_server)
    duration = detected_example_duration(store, detected_example)
    editor.click_bar(event.event_id)
    selected_in_page(page, event.event_id)
    assert store.event(event.event_id).rev_no == event.rev_no  # selecting changes nothing

    zoom_on(editor, event.event_id)
    editor.drag_edge(event.event_id, "end", editor.x_at(3.52, duration))
    ui.eventually(lambda: store.event(event.event_id).rev_no == event.rev_no + 1, "the drag is saved")
    moved = store.event(event.event_id)
    assert (moved.start, moved.end, moved.state) == (2.0, pytest.approx(3.52, abs=1e-9), "added")
    assert store.history(event.event_id)[-1].note == "timeline editor"

    editor.drag_body(event.event_id, editor.x_at(2.4, duration) - editor.x_at(2.0, duration))
    ui.eventually(lambda: store.event(event.event_id).rev_no == event.rev_no + 2, "the move is saved")
    shifted = store.event(event.event_id)
    assert shifted.start == pytest.approx(2.4, abs=1e-9)
    assert shifted.end - shifted.start == pytest.approx(1.52, abs=1e-9)  # the body keeps its length


def test_a_drag_on_an_empty_lane_adds_an_event_of_that_class(new_page, app_server, store, made, detected_example):
    anchor = made("sea waves", 1.0, 2.0)  # gives "sea waves" a lane
    page, editor = correct_page(new_page, app_server)
    duration = detected_example_duration(store, detected_example)
    editor.click_bar(anchor.event_id)
    editor.type("6")
    editor.button("zoom-in")
    editor.button("zoom-in")
    before = {e.event_id for e in store.current_events(detected_example.video_id)}
    y = editor.lane_y("sea waves")
    editor.drag(editor.x_at(5.2, duration), y, editor.x_at(6.8, duration))
    ui.eventually(lambda: len(store.current_events(detected_example.video_id)) == len(before) + 1, "the add")
    added = next(e for e in store.current_events(detected_example.video_id) if e.event_id not in before)
    assert (added.label, added.state) == ("sea waves", "added")
    assert (added.start, added.end) == (pytest.approx(5.2, abs=1e-9), pytest.approx(6.8, abs=1e-9))
    selected_in_page(page, added.event_id)  # the new event is selected
    assert store.event(anchor.event_id) == anchor
    store.delete(added.event_id, added.rev_no)


def test_keys_set_the_start_and_end_at_the_playhead(new_page, app_server, store, made):
    event = made("baby crying", 3.0, 5.0)
    page, editor = correct_page(new_page, app_server)
    editor.click_bar(event.event_id)
    editor.type("2.64")
    assert editor.playhead() == pytest.approx(2.64, abs=1e-9)
    editor.press("[")
    ui.eventually(lambda: store.event(event.event_id).start == pytest.approx(2.64, abs=1e-9), "the start is set")
    editor.type("5.88")
    editor.press("]")
    ui.eventually(lambda: store.event(event.event_id).end == pytest.approx(5.88, abs=1e-9), "the end is set")
    assert store.event(event.event_id).rev_no == event.rev_no + 2


def test_delete_then_restore_a_shown_deleted_event(new_page, app_server, store, made):
    event = made("skateboarding", 7.0, 8.5)
    page, editor = correct_page(new_page, app_server)
    editor.click_bar(event.event_id)
    editor.press("Delete")
    ui.eventually(lambda: store.event(event.event_id).state == "deleted", "the delete is saved")
    expect(editor.bar(event.event_id)).to_have_count(0)
    page.get_by_text("Show deleted events").click()  # the page's own switch: deleted events are drawn hatched
    expect(editor.bar(event.event_id)).to_have_class(re.compile(r"\bdeleted\b"))
    editor.click_bar(event.event_id)
    expect(editor.frame.locator('button[data-action="delete"]')).to_have_text("Restore")
    editor.press("Delete")
    ui.eventually(lambda: store.event(event.event_id).state == "added", "the restore is saved")
    assert [r.action for r in store.history(event.event_id)][-2:] == ["delete", "restore"]


def test_merge_then_undo_brings_both_events_back(new_page, app_server, store, made):
    first = made("orchestra", 4.0, 5.0)
    second = made("orchestra", 5.6, 6.6)
    page, editor = correct_page(new_page, app_server)
    editor.click_bar(first.event_id)
    editor.press("m")  # merge with the next event of its lane
    ui.eventually(lambda: store.event(second.event_id).state == "deleted", "the merge is saved")
    merged = store.event(first.event_id)
    assert (merged.start, merged.end) == (4.0, 6.6)
    editor.press("Control+z")
    ui.eventually(lambda: store.event(second.event_id).state == "added", "the merge is undone")
    assert [(e.start, e.end, e.state) for e in (store.event(first.event_id), store.event(second.event_id))] == [
        (4.0, 5.0, "added"), (5.6, 6.6, "added")]
    expect(editor.bar(second.event_id)).to_have_count(1)


def test_session_undo_goes_back_through_gestures_on_different_events(new_page, app_server, store, made):
    one = made("playing piano", 1.0, 2.5)
    two = made("playing piano", 8.0, 9.0)
    page, editor = correct_page(new_page, app_server)
    editor.click_bar(one.event_id)
    editor.press("a")
    ui.eventually(lambda: store.event(one.event_id).state == "accepted", "the accept is saved")
    editor.click_bar(two.event_id)
    editor.press("r")
    ui.eventually(lambda: store.event(two.event_id).state == "rejected", "the reject is saved")
    editor.press("Control+z")
    ui.eventually(lambda: store.event(two.event_id).state == "added", "the reject is undone")
    assert store.event(one.event_id).state == "accepted"
    editor.press("Control+z")
    ui.eventually(lambda: store.event(one.event_id).state == "added", "the accept is undone")
    editor.press("Control+Shift+z")
    ui.eventually(lambda: store.event(one.event_id).state == "accepted", "the accept is redone")


def test_a_stale_tab_gets_the_conflict_message_and_changes_nothing(new_page, app_server, store, made):
    event = made("dog howling", 10.0, 11.5)
    first_page, first = correct_page(new_page, app_server)
    second_page, second = correct_page(new_page, app_server)
    first.click_bar(event.event_id)
    second.click_bar(event.event_id)
    first.press("a")
    ui.eventually(lambda: store.event(event.event_id).state == "accepted", "the first tab's accept is saved")
    accepted = store.event(event.event_id)
    second.press("r")  # based on the revision the second tab showed, which is no longer current
    expect(second_page.get_by_text(CONFLICT)).to_be_visible()
    assert store.event(event.event_id) == accepted  # nothing changed
    second.press("r")  # the second tab now shows the current revision: the edit goes through
    ui.eventually(lambda: store.event(event.event_id).state == "rejected", "the second tab's reject is saved")
    assert store.event(event.event_id).rev_no == accepted.rev_no + 1


def test_the_three_tasks_take_three_three_and_one_inputs(new_page, app_server, store, made, detected_example):
    event = made("auto racing", 12.3, 14.1)
    page, editor = correct_page(new_page, app_server)
    duration = detected_example_duration(store, detected_example)

    # Move the end by exactly 0.5 s: click the bar at its end (the playhead goes there), type +0.5, press ].
    move = Inputs()
    editor.inputs = move
    editor.click_bar(event.event_id, "end")
    editor.type("+0.5")
    editor.press("]")
    ui.eventually(lambda: store.event(event.event_id).rev_no == event.rev_no + 1, "the end is moved")
    assert store.event(event.event_id).end == pytest.approx(14.6, abs=1e-9) and len(move) == 3

    # Relabel: click the bar, press l, type the start of the class name and Enter. Into a class no other event of
    # the video has (another test file relabels one into "cat meowing"), so its lane is free for the add below.
    target = "church bell ringing"
    assert all(e.label != target for e in store.current_events(detected_example.video_id))
    relabel = Inputs()
    editor.inputs = relabel
    editor.click_bar(event.event_id)
    editor.press("l")
    editor.type("church b")
    ui.eventually(lambda: store.event(event.event_id).label == target, "the relabel is saved")
    assert len(relabel) == 3
    ui.eventually(lambda: editor.bar_in_lane(event.event_id, target), "the lanes are redrawn")

    # Add an event at a chosen span: one drag on the lane of its class.
    add = Inputs()
    editor.inputs = add
    before = {e.event_id for e in store.current_events(detected_example.video_id)}
    editor.drag(editor.x_at(16.0, duration), editor.lane_y(target), editor.x_at(18.0, duration))
    ui.eventually(lambda: len(store.current_events(detected_example.video_id)) == len(before) + 1, "the add")
    added = next(e for e in store.current_events(detected_example.video_id) if e.event_id not in before)
    assert added.label == target and len(add) == 1
    assert abs(added.start - 16.0) <= FRAME and abs(added.end - 18.0) <= FRAME  # snapped to frames at fit zoom
    assert round(added.start * FPS, 6).is_integer() and round(added.end * FPS, 6).is_integer()
    store.delete(added.event_id, added.rev_no)


def test_the_playhead_and_the_video_agree_within_a_frame(new_page, app_server, store, made):
    event = made("machine gun shooting", 6.0, 9.0)
    page, editor = correct_page(new_page, app_server)
    editor.click_bar(event.event_id)  # the keys go to the editor once it was clicked
    editor.type("7.37")  # a fractional time, between frames
    assert editor.playhead() == pytest.approx(7.37, abs=1e-9)
    ui.eventually(lambda: abs(editor.video_time() - 7.37) < FRAME, "the video seeks to 7.37 s")
    editor.press("ArrowRight")  # one frame on, from the frame the playhead is in
    assert editor.playhead() == pytest.approx(7.40, abs=1e-9)
    ui.eventually(lambda: abs(editor.video_time() - 7.40) < FRAME, "the video steps one frame")
    editor.press(" ")
    page.wait_for_timeout(800)
    editor.press(" ")
    ui.eventually(lambda: abs(editor.video_time() - editor.playhead()) < FRAME, "playhead and video agree")
    assert editor.playhead() > 7.4


def test_the_timeline_page_selects_and_plays_but_does_not_edit(new_page, app_server, store, made, detected_example):
    event = made("people cheering", 2.0, 4.0)
    page = new_page()
    ui.open_on_video(page, app_server.url, "timeline", "Timeline")
    editor = TimelineEditor(page)
    duration = detected_example_duration(store, detected_example)
    expect(editor.frame.locator('button[data-action="accept"]')).to_be_hidden()
    editor.click_bar(event.event_id)
    expect(page.get_by_text("start 2.00 s")).to_be_visible()  # the frame strip of the selected event
    editor.drag_body(event.event_id, editor.x_at(3.0, duration) - editor.x_at(2.0, duration))
    for key in ("Delete", "a", "]"):
        editor.press(key)
    assert store.event(event.event_id) == event
    expect(editor.frame.locator("video track")).to_have_count(1)  # the events shown, as subtitles
