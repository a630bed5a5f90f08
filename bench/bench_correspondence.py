"""Correspondence page speed for a 60 s and a 10-minute video (goals: server 1.5 s, browser 4 s to the first chart).

    python -m bench.bench_correspondence [--durations 60 600] [--repeats 5]   (from the repository root)

Per duration, a throwaway data folder holds one video without media and its run: internals in the shapes the compact
model produces (4 heads, 6 levels, CDP radius 22) and 100 proposals (``tests/fixtures/long_run.py``). Server time:
``AppTest.run()`` of the page with a prediction picked, so the event lanes, the marks on every panel and "Why this
event?" are all computed, after one warm-up run (imports and caches filled, as for a user who has the app open).
Browser time: ``streamlit run app.py`` on a free port and headless Chromium, a fresh browser context (empty cache) and
session per load, after one warm-up load, until the page's first chart (the Plotly figure in ``ui.plotly_chart``'s
frame) is drawn; twice: from opening the page's address, and from clicking its sidebar link on the Detect page.
Both ends are the browser's own clock: the navigation's start (or the click's event time) and the frame's
``DRAWN_MARK``, set when plotly has drawn the figure. Waiting for the chart's element instead adds Playwright's
polling, up to 0.5 s late. Prints medians and their ratio to the goals; nothing is asserted. The machine's noise moves
single loads by +-0.5 s: compare figures of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest

from storage import open_store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser import ui
from tests.browser.server import running_app
from tests.fixtures.long_run import record_fake_run
from ui.plotly_chart import DRAWN_MARK

ROOT = Path(__file__).resolve().parent.parent
SERVER_GOAL_S, BROWSER_GOAL_S = 1.5, 4.0
PREDICTIONS = 100  # the decoder's cap per video
CLICK_TIME = """() => document.addEventListener(
    "click", event => { window.clickedAt = performance.timeOrigin + event.timeStamp; }, {capture: true, once: true})"""
DRAWN_TIME = """async (chart, mark) => {  // in the chart's frame: the mark's time on the epoch clock, once it is set
    while (!performance.getEntriesByName(mark).length) await new Promise(resolve => setTimeout(resolve, 20));
    return performance.timeOrigin + performance.getEntriesByName(mark)[0].startTime;
}"""


def prepare(folder: Path, duration: float) -> tuple[str, int]:
    """The fake video and run; returns the video id and the id of its best-scoring proposal."""
    store = open_store()
    try:
        video_id = record_fake_run(store, folder / "runs", duration, PREDICTIONS, video_id=f"bench-{duration:g}s")
        best = max(store.current_events(video_id), key=lambda e: e.score or 0.0)
        return video_id, best.event_id
    finally:
        store.close()


def server_times(video_id: str, event_id: int, repeats: int) -> list[float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["video_id"] = video_id
    at.session_state["selected_event"] = event_id
    at.run()
    at.switch_page("pages/correspondence.py").run()  # warm-up: imports, the internals file read once
    if at.exception:
        raise RuntimeError(f"correspondence: {at.exception[0].value}")
    if not any(h.value == "Why this event?" for h in at.subheader):
        raise RuntimeError("the picked event is not explained: the bench would time less than the page does")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    return times


def browser_times(url: str, repeats: int, from_the_app: bool) -> list[float]:
    """Seconds until the page's first chart is drawn: opening its address in a fresh browser (nothing cached), or,
    ``from_the_app``, following its sidebar link from the Detect page just opened (Streamlit's own code loaded, the
    chart's not yet: a user moving through the app)."""
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for attempt in range(repeats + 1):  # the first load warms the server up
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                if from_the_app:
                    page.goto(url)
                    page.get_by_role("heading", name="Detect events").wait_for(timeout=120_000)
                    ui.settle(page)
                    page.evaluate(CLICK_TIME)
                    page.get_by_role("link", name="Correspondence", exact=True).first.click()
                    started = page.evaluate("window.clickedAt")
                else:
                    page.goto(f"{url}/correspondence")
                    started = page.evaluate("performance.timeOrigin")
                drawn = ui.chart(page).evaluate(DRAWN_TIME, DRAWN_MARK, timeout=120_000)
                if attempt:
                    times.append((drawn - started) / 1000)
                context.close()
        finally:
            browser.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--durations", type=float, nargs="+", default=[60.0, 600.0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'video':>8} {'server median s':>16} {'/ goal':>7} {'browser, opened s':>18} {'/ goal':>7} "
          f"{'browser, from the app s':>24} {'/ goal':>7}")
    for duration in args.durations:
        with tempfile.TemporaryDirectory(prefix="loco-bench-") as tmp:
            os.environ["LOCO_DATA_DIR"] = tmp
            os.environ.pop("LOCO_DATABASE_URL", None)
            video_id, event_id = prepare(Path(tmp), duration)
            server = statistics.median(server_times(video_id, event_id, args.repeats))
            with running_app(Path(tmp), Path(tmp) / "server.log") as url:
                opened, followed = (statistics.median(browser_times(url, args.repeats, from_the_app))
                                    for from_the_app in (False, True))
        print(f"{duration:7g}s {server:16.3f} {server / SERVER_GOAL_S:7.2f} {opened:18.3f} "
              f"{opened / BROWSER_GOAL_S:7.2f} {followed:24.3f} {followed / BROWSER_GOAL_S:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
