"""Long videos end to end: generated low-resolution videos with sound through the app's detection path and the CLI,
then the pages in Chromium, measured side by side in one run.

    python -m bench.bench_long [--minutes 10 60 120] [--work DIR] [--pages-only]   (from the repository root)

For each length, ffmpeg's lavfi sources make a 160x120 video at 25 fps (``testsrc``) with a sine over pink noise at
16 kHz (kept in ``--work`` and reused). Then, each in a fresh data folder (so neither finds the other's cached
features) and a process of its own:

- ``python -m loco predict`` with the shipped model: wall time and peak RSS;
- the app's detection path, ``studio.runs.detect`` (features, the model with its internals, the audio overview, the
  store): wall time, peak RSS, its ratio to the CLI's time, the internals file and the audio overview on disk;
- a Streamlit server on that data folder, and Chromium (Playwright) opening Timeline, Correct and Correspondence once
  to warm the server, then again to measure: the bytes the page received over its websocket (and the largest single
  message) and the time from navigation to its first chart.

Goals (issue 21): detection peak RSS <= 4 GB and time <= 1.2x the CLI's; every page <= 5 MB and first chart <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from playwright.sync_api import Page, expect, sync_playwright

from loco.checkpoint import load_checkpoint
from storage import open_store
from studio import runs, uploads
from tests.browser import ui
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.server import running_app

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT = ROOT / "assets" / "models" / "loco_compact.safetensors"
TIMEOUT_MS = 600_000


def editor_drawn(page: Page) -> None:
    expect(page.frame_locator(ui.EDITOR_FRAME).first.locator("#editor > *").first).to_be_attached(timeout=TIMEOUT_MS)


def chart_drawn(page: Page) -> None:
    expect(ui.chart(page).locator(".main-svg").first).to_be_visible(timeout=TIMEOUT_MS)


PAGES = [("timeline", "Timeline", editor_drawn), ("correct", "Correct", editor_drawn),
         ("correspondence", "Correspondence and attention", chart_drawn)]
GOALS = {"rss_gb": 4.0, "time_ratio": 1.2, "page_mb": 5.0, "chart_s": 2.0}


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_gb: float
    output: str


def generate(path: Path, minutes: float) -> Path:
    """A low-resolution test video with sound, made once."""
    if not path.is_file():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-f", "lavfi", "-i",
                        "anoisesrc=color=pink:amplitude=0.1:sample_rate=16000", "-filter_complex",
                        "[1:a][2:a]amix=inputs=2[a]", "-map", "0:v", "-map", "[a]", "-t", str(minutes * 60),
                        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-c:a", "aac", "-b:a", "32k",
                        str(path.with_suffix(".part.mp4"))], check=True)
        path.with_suffix(".part.mp4").rename(path)
    return path


def fresh_data_dir(folder: Path) -> Path:
    """An empty data folder (an earlier run's cached features would make detection a cache read) with the
    converted encoder weights of the repository's own (linked, not converted again)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "weights").symlink_to(ROOT / "data" / "weights")
    return folder


def measure(command: list[str], data_dir: Path) -> Measured:
    """Wall time and peak RSS of one child process (``wait4``'s resource usage, so nothing else is counted)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LOCO_DATA_DIR": str(data_dir)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed:\n{output[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 2**20, output)


def detect_child(video: Path) -> None:
    """The app's detection path on ``video`` in the data folder of ``LOCO_DATA_DIR``; prints what it left on disk."""
    store = open_store()
    with open(video, "rb") as handle:
        spooled = uploads.spool_upload(handle)
    run = runs.detect(store, spooled, CHECKPOINT, load_checkpoint(CHECKPOINT), original_name=video.name)
    audio = runs.audio_overview_path(spooled.path)
    print(json.dumps({"internals_bytes": Path(run.internals_path).stat().st_size,
                      "audio_bytes": audio.stat().st_size, "events": run.num_events}))
    store.close()


def open_page(context, url: str, path: str, heading: str,
              chart_drawn: Callable[[Page], None]) -> tuple[int, int, float]:
    """(bytes received over the websocket, largest message, seconds to the first chart) of one fresh session (a new
    tab: the browser's cache is kept, as for a user coming back)."""
    sizes: list[int] = []
    page = context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: sizes.append(len(payload))))
    started = time.perf_counter()
    page.goto(f"{url}/{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    chart_drawn(page)
    first_chart = time.perf_counter() - started
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)  # messages still on their way after the last element is drawn
    page.close()
    return sum(sizes), max(sizes, default=0), first_chart


def measure_pages(data_dir: Path) -> dict[str, tuple[int, int, float]]:
    with running_app(data_dir, data_dir / "server.log") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        results = {}
        for path, heading, drawn in PAGES:
            open_page(context, url, path, heading, drawn)  # warm: caches filled, as for a user already there
            results[path] = open_page(context, url, path, heading, drawn)
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60, 120])
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench_long")
    parser.add_argument("--pages-only", action="store_true", help="reuse the data folders of an earlier run")
    parser.add_argument("--detect-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.detect_child:
        detect_child(args.detect_child)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"{'video':>7} | {'CLI s':>6} {'GB':>5} | {'app s':>6} {'GB':>5} {'ratio':>5} | {'internals MB':>12} "
          f"{'audio MB':>8} | " + " | ".join(f"{p:>14} MB (max) s" for p, _, _ in PAGES), flush=True)
    for minutes in args.minutes:
        video = generate(args.work / f"video_{minutes:g}min.mp4", minutes)
        app_dir = args.work / f"app_{minutes:g}min"
        if args.pages_only:
            cli = app = Measured(float("nan"), float("nan"), "")
            stored = {"internals_bytes": float("nan"), "audio_bytes": float("nan")}
        else:
            cli_dir = fresh_data_dir(args.work / f"cli_{minutes:g}min")
            cli = measure([sys.executable, "-m", "loco", "predict", str(CHECKPOINT), str(video), "--output",
                           str(cli_dir / "results.json")], cli_dir)
            app = measure([sys.executable, "-m", "bench.bench_long", "--detect-child", str(video)],
                          fresh_data_dir(app_dir))
            stored = json.loads(app.output.strip().splitlines()[-1])
        pages = measure_pages(app_dir)
        cells = " | ".join(f"{total / 1e6:>7.2f} ({largest / 1e6:.2f}) {seconds:>4.1f}"
                           for total, largest, seconds in pages.values())
        print(f"{minutes:>4g} min | {cli.seconds:>6.0f} {cli.peak_rss_gb:>5.2f} | {app.seconds:>6.0f} "
              f"{app.peak_rss_gb:>5.2f} {app.seconds / cli.seconds:>5.2f} | {stored['internals_bytes'] / 1e6:>12.1f} "
              f"{stored['audio_bytes'] / 1e6:>8.2f} | {cells}", flush=True)
    print(f"goals: detection <= {GOALS['rss_gb']:g} GB and <= {GOALS['time_ratio']:g}x the CLI's time; pages <= "
          f"{GOALS['page_mb']:g} MB, first chart <= {GOALS['chart_s']:g} s (warm server)")
    print("load average at the end (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
