"""A two-hour run in Chromium: Timeline, Correct and Correspondence open and draw without an error (a made-up run of
2,000 events and its internals; the pages' levels of detail keep what they send small)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storage import open_store
from tests.browser import ui
from tests.fixtures.long_run import record_fake_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
PAGES = [("timeline", "Timeline"), ("correct", "Correct"), ("correspondence", "Correspondence and attention")]


@pytest.fixture(scope="module")
def long_run(app_server) -> str:
    store = open_store(app_server.database_url)
    try:
        return record_fake_run(store, app_server.data_dir / "runs")
    finally:
        store.close()


@pytest.mark.parametrize("path, heading", PAGES)
def test_pages_of_a_two_hour_run_draw_without_errors(page, app_server, long_run, path, heading):
    ui.open_page(page, app_server.url, path, heading)
    ui.choose(page, "Video", "two hours (fake).mp4")
    if path == "correspondence":
        expect(ui.chart(page)).to_be_visible()
        ui.choose(page, "Pyramid level", "3 ")
    else:
        expect(page.locator("iframe").first).to_be_visible()
    ui.settle(page)
    expect(page.locator(ERRORS)).to_have_count(0)
    ui.screenshot(page, f"long-run-{path}")
