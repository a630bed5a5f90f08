"""Gestures on Streamlit widgets in Chromium, written once: Streamlit redraws over a websocket, so every helper waits on
content (``expect``), never on the page's "load" event, and ignores the stale copies of elements left during a rerun."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.conftest import ROOT

PAGE_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_MS = 300_000
JOB_LINE = r"^training job (\S+): \w+, epoch"  # the status line of Train & Evaluate's newest job
EDITOR_FRAME = 'iframe[title="ui.timeline_editor.timeline_editor"]'
CHART_FRAME = 'iframe[title="ui.plotly_chart.plotly_chart"]'  # ui.plotly_chart's frames
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def open_page(page: Page, base_url: str, path: str, heading: str) -> None:
    """Go to a page by its URL (a new Streamlit session) and wait until its heading is drawn."""
    page.goto(f"{base_url}/{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    settle(page)


def navigate(page: Page, link: str, heading: str) -> None:
    """Follow a sidebar link (the same Streamlit session) and wait until the page's heading is drawn."""
    page.get_by_role("link", name=link, exact=True).first.click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    settle(page)


def settle(page: Page) -> None:
    """Wait until the current script run has finished drawing (no element is left marked stale) and every timeline
    editor has drawn and grown its iframe to its height (a widget clicked while the iframe grows moves away)."""
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        """selector => [...document.querySelectorAll(selector)].every(frame => {
            const root = frame.contentDocument && frame.contentDocument.querySelector("#editor[data-ready='1']");
            return root && frame.getBoundingClientRect().height >= root.getBoundingClientRect().bottom;
        })""", arg=EDITOR_FRAME, timeout=PAGE_TIMEOUT_MS)


def eventually(check: Callable[[], bool], what: str, timeout_s: float = PAGE_TIMEOUT_MS / 1000) -> None:
    """Poll ``check`` until it holds: a widget's change reaches the database in a rerun that may not have begun yet."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.2)


def combobox(page: Page, label: str, nth: int = 0) -> Locator:
    return page.get_by_role("combobox", name=label, exact=True).nth(nth)


def choose(page: Page, label: str, option_prefix: str, nth: int = 0) -> None:
    """Pick the option of a select box that starts with ``option_prefix`` (typing filters long lists first)."""
    box = combobox(page, label, nth)
    box.click()
    box.fill(option_prefix)
    page.get_by_role("option", name=re.compile("^" + re.escape(option_prefix))).first.click()
    expect(box).to_have_value(re.compile("^" + re.escape(option_prefix)))
    settle(page)


def open_on_video(page: Page, base_url: str, path: str, heading: str, video_name: str = "example.mp4") -> None:
    """Open a page on the video named ``video_name``: a new session starts on the newest video, and tests of other
    files add videos of their own."""
    open_page(page, base_url, path, heading)
    choose(page, "Video", video_name)


def set_epochs(page: Page, epochs: int) -> None:
    """Type the number of epochs on Train & Evaluate and wait until the page's recipe line shows it and, once the
    page is idle, the box still holds it, so that Start training is pressed on a page that has taken the number (a
    run of 120 epochs, the one-video recipe, followed a number typed and a click sent right after it, twice). The
    number is typed again while it has not been taken: a re-run still on its way (the start just chosen) puts the
    recipe's own epochs back into the box, even after the recipe line showed the number typed."""
    box = page.get_by_label("Epochs")
    recipe_line = page.get_by_text(re.compile(rf"^Recipe \(.*\): {epochs} epochs at "))
    for _ in range(3):
        box.fill(str(epochs))
        box.press("Enter")
        try:
            expect(recipe_line).to_be_visible(timeout=PAGE_TIMEOUT_MS // 3)
        except AssertionError:
            pass  # not taken yet: checked once the page is idle, typed again if still not
        settle(page)
        if recipe_line.is_visible() and box.input_value() == str(epochs):
            return
    expect(recipe_line).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(box).to_have_value(str(epochs))
    settle(page)


def train_and_wait(page: Page) -> str:
    """Press Start training on Train & Evaluate and wait until that job ends; its status line. The page shows the
    newest job of the data folder, so a job an earlier test ran is on it before this one starts."""
    shown = page.get_by_text(re.compile(JOB_LINE))
    earlier = [re.match(JOB_LINE, text).group(1) for text in shown.all_inner_texts()]
    button(page, "train_go").click()
    not_earlier = "".join(f"(?!{re.escape(job_id)}:)" for job_id in earlier)
    finished = page.get_by_text(re.compile(rf"^training job {not_earlier}\S+: (done|failed|cancelled), epoch"))
    expect(finished).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    return finished.inner_text()


def pick_event(page: Page, event, fps: float = 25.0) -> None:
    """Select ``event`` (a storage EventView) on the Correct page and wait until its editor is drawn: a click sent
    before that carries the buttons of the event selected before, which the page refuses. The page's timeline
    editor is waited for first: drawn later, it would push the picker's open list away."""
    expect(page.locator(EDITOR_FRAME)).to_be_attached(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    choose(page, "Selected event", f"#{event.event_id} ")
    expect(page.get_by_text(f"Revision {event.rev_no} by {event.author} · frames {round(event.start * fps)}–"
                            f"{round(event.end * fps)} at {fps:g} fps")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    settle(page)


def button(page: Page, key: str) -> Locator:
    """A button by its widget key (Streamlit marks the widget's container with ``st-key-<key>``)."""
    return page.locator(f'.st-key-{key}:not([data-stale="true"]) button')


def chart(page: Page, nth: int = 0) -> Locator:
    """The Plotly figure drawn in the ``nth`` frame of ``ui.plotly_chart``."""
    return page.frame_locator(CHART_FRAME).nth(nth).locator(".js-plotly-plot")


def plotly_traces(page: Page, nth: int = 0) -> list[dict]:
    """The traces of the ``nth`` chart as the browser holds them (name, type, customdata)."""
    figure = chart(page, nth)
    expect(figure).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    return figure.evaluate("el => el.data.map(t => ({name: t.name, type: t.type, customdata: t.customdata}))")


def plotly_titles(page: Page, nth: int = 0) -> list[str]:
    return chart(page, nth).evaluate("el => (el.layout.annotations || []).map(a => a.text)")


def screenshot(page: Page, name: str) -> Path:
    """The whole page (Streamlit scrolls inside its own container, so the viewport is grown to its height)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain], section, body'))"
        ".map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 8000))})
    try:
        path = ARTIFACTS / f"{name}.png"
        page.wait_for_timeout(300)  # let the charts re-lay out to the new size (an artifact, not an assertion)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path
