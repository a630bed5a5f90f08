"""Two people on the same event, in two browser contexts (two Streamlit sessions): the later edit, based on a revision
that is no longer current, is refused with the conflict message, and both people's work ends up in the database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storage import open_store
from tests.browser import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW_LABEL = "cat meowing"


def test_a_stale_edit_gets_the_conflict_message_and_nothing_is_lost(new_page, app_server, detected_example):
    store = open_store(app_server.database_url)
    try:
        target = next(e for e in store.current_events(detected_example.video_id)
                      if e.origin == "import" and e.label == "lions roaring")
        first, second = new_page(), new_page()
        for page in (first, second):
            ui.open_on_video(page, app_server.url, "correct", "Correct")
            ui.pick_event(page, target)
        ui.choose(second, "Class", NEW_LABEL)  # the second person prepares a relabel...

        ui.button(first, "nudge_end_right").click()  # ...while the first one moves the end
        moved_end = round(target.end + 1 / 25, 2)
        expect(first.get_by_text(f"event {target.event_id}: {target.label} {target.start:.2f}–{moved_end:.2f} s"
                                 " (edited)")).to_be_visible()

        ui.button(second, "relabel").click()
        expect(second.get_by_text("Another session changed this event: ")).to_be_visible()
        head = store.event(target.event_id)
        assert (head.label, head.rev_no) == (target.label, target.rev_no + 1)  # the first edit stands, untouched
        assert head.end == pytest.approx(moved_end, abs=1e-6)

        # The second page now shows the current revision; the relabel, done again, keeps the first person's edge.
        ui.settle(second)
        expect(ui.combobox(second, "Selected event")).to_have_value(
            f"#{target.event_id} {target.label} · {target.start:.2f}–{moved_end:.2f} s · edited")
        ui.choose(second, "Class", NEW_LABEL)
        ui.button(second, "relabel").click()
        expect(second.get_by_text(f"event {target.event_id}: {NEW_LABEL} {target.start:.2f}–{moved_end:.2f} s"
                                  " (edited)")).to_be_visible()
        head = store.event(target.event_id)
        assert (head.label, head.rev_no) == (NEW_LABEL, target.rev_no + 2)
        assert head.end == pytest.approx(moved_end, abs=1e-6)
        assert [r.action for r in store.history(target.event_id)][-2:] == ["move", "relabel"]
    finally:
        store.close()
