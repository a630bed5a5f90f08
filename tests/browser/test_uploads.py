"""Bad uploads through the Detect page: a truncated MP4 and a text file named .mp4 each show a clear error and leave
the database exactly as it was (compared as a full SQL dump)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import ui
from tests.browser.conftest import EXAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def database_dump(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def truncated_mp4(folder: Path) -> Path:
    path = folder / "truncated.mp4"
    data = EXAMPLE.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 5])
    return path


def text_as_mp4(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("Meeting notes: these are words, not a video.\n" * 40, encoding="utf-8")
    return path


@pytest.mark.parametrize(("make", "message"), [
    (truncated_mp4, "the media file is damaged or truncated"),
    (text_as_mp4, "not an audio/video file"),
], ids=["truncated-mp4", "text-renamed-mp4"])
def test_a_bad_upload_shows_the_error_and_changes_nothing(page, app_server, tmp_path, make, message):
    upload = make(tmp_path)
    ui.open_page(page, app_server.url, "", "Detect events")  # the first page view creates the database if needed
    before = database_dump(app_server.data_dir / "loco.sqlite")
    page.get_by_text("Upload a video").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    expect(page.get_by_text(upload.name, exact=True)).to_be_visible()
    ui.settle(page)
    page.get_by_role("button", name="Detect events").click()
    expect(page.get_by_text(re.compile(r"^Detection failed: .*" + re.escape(message)))).to_be_visible(
        timeout=ui.PAGE_TIMEOUT_MS)
    ui.screenshot(page, f"8-detect-{upload.stem}")
    assert database_dump(app_server.data_dir / "loco.sqlite") == before
