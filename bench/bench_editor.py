"""The timeline editor with a 60-minute video and 2,000 events: server time per editing gesture (goal: median
<= 150 ms) and the component's first render in Chromium (goal: <= 1.5 s).

    python -m bench.bench_editor [--minutes 60] [--events 2000] [--gestures 40] [--renders 3]   (from the repository
    root; needs ffmpeg and Chromium, as the browser tests do)

Builds a throwaway data folder: a clip of ``--minutes`` (160x90 test pattern at 25 fps with a tone, made by ffmpeg)
with ``--events`` annotations over 8 classes (all drawn: annotations pass any threshold). Then measures

- per gesture, on the server: ``studio.gestures.apply_gesture`` (one store transaction), the read of the video's
  events and what the next run sends the component (``editor_view`` of every event with the audio rows, as JSON),
  for moves, accepts, rejects and relabels; medians of each part, of the total, and of its CPU time (the wall clock
  of a shared machine says more about its other users);
- in Chromium, against ``streamlit run app.py`` on that folder: the editor's first render on the Correct page, from
  the component iframe's navigation start to everything drawn (bundle, arguments, waveform, spectrogram, lanes),
  median over ``--renders`` fresh pages after one warm-up page (which fills the server's audio cache); and the
  round trip of a key gesture (a press to the server's answer drawn), which includes Streamlit's rerun of the page.

Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from loco.io import sha256_file
from loco.media import probe
from storage import NewEvent, open_store
from studio.editing import EditSession
from studio.gestures import Gesture, apply_gesture
from studio.viz.editor import editor_audio, editor_view
from studio.viz.media import audio_rows_of
from tests.browser import ui
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.editor import TimelineEditor
from tests.browser.server import running_app

GESTURE_GOAL_MS = 150.0
RENDER_GOAL_S = 1.5
CLASSES = ("dog barking", "cat meowing", "car passing by", "man speaking", "playing piano", "baby crying",
           "sea waves", "orchestra")


def make_video(path: Path, minutes: float) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", str(minutes * 60),
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-g", "250", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "24k", "-ac", "1", str(path)], check=True)


def prepare(folder: Path, minutes: float, count: int) -> str:
    clip = folder / "long.mp4"
    started = time.perf_counter()
    make_video(clip, minutes)
    info = probe(clip)
    sha = sha256_file(clip)
    store = open_store()
    store.record_video(sha, info.duration, sha256=sha, original_name="long.mp4", fps=info.fps, n_frames=info.frames,
                       width=info.width, height=info.height, audio_rate=info.audio_rate,
                       audio_channels=info.audio_channels, size_bytes=clip.stat().st_size, stored_path=str(clip),
                       container=info.container)
    rng = random.Random(0)
    events = []
    for _ in range(count):
        start = rng.uniform(0, info.duration - 12)
        events.append(NewEvent(sha, round(start, 2), round(start + rng.uniform(1, 10), 2), rng.choice(CLASSES)))
    store.import_events(events)
    store.close()
    print(f"setup (untimed): {info.duration / 60:.0f}-minute clip and {count} events in "
          f"{time.perf_counter() - started:.1f} s")
    return sha


def server_gestures(video_id: str, repeats: int) -> dict[str, list[float]]:
    """Seconds per gesture, wall clock and CPU: the store operation, the read of the video's events, and the view the
    next run sends (the audio part is computed once per video, as the app caches it)."""
    store = open_store()
    video = store.video(video_id)
    audio = editor_audio(audio_rows_of(Path(video.stored_path)), video.duration)
    classes = store.class_names()
    session = EditSession()
    rng = random.Random(1)
    times: dict[str, list[float]] = {"operation": [], "events read": [], "view and JSON": [], "total": [],
                                     "total CPU": []}
    for index in range(repeats):
        event = rng.choice(store.current_events(video_id))
        kind = ("move", "accept", "reject", "relabel")[index % 4]
        message = {"nonce": f"bench:{index}", "kind": kind, "event_id": event.event_id, "rev_no": event.rev_no}
        if kind == "move":
            message["end"] = round(event.end + 0.5, 2)
        elif kind == "relabel":
            message["label"] = rng.choice([c for c in CLASSES if c != event.label])
        cpu, started = time.process_time(), time.perf_counter()
        apply_gesture(store, video_id, Gesture.from_message(message), session)
        applied = time.perf_counter()
        events = store.current_events(video_id)
        read = time.perf_counter()
        view = editor_view(events, video.duration, fps=video.fps, grid=store.grid, classes=classes,
                           min_length=store.min_event_seconds, audio=audio)
        json.dumps(view.to_json())
        done = time.perf_counter()
        for name, seconds in [("operation", applied - started), ("events read", read - applied),
                              ("view and JSON", done - read), ("total", done - started),
                              ("total CPU", time.process_time() - cpu)]:
            times[name].append(seconds)
    store.close()
    return times


def browser_render(url: str, renders: int, gestures: int) -> tuple[list[float], list[float], list[float]]:
    """(first renders in s, of which after the arguments arrived in s, gesture round trips in s)."""
    firsts, drawing, trips = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for attempt in range(renders + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                ui.open_page(page, url, "correct", "Correct")
                editor = TimelineEditor(page)
                root = editor.frame.locator("#editor")
                if attempt:  # the first page warms the server's caches (audio rows) up
                    firsts.append(int(root.get_attribute("data-ready-at")) / 1000)
                    drawing.append(int(root.get_attribute("data-render-ms")) / 1000)
                if attempt == renders:
                    editor.click_bar(int(editor.frame.locator(".bar").first.get_attribute("data-id")))
                    for index in range(gestures):
                        started = time.perf_counter()
                        editor.press("a" if index % 2 else "r")
                        trips.append(time.perf_counter() - started)
                context.close()
        finally:
            browser.close()
    return firsts, drawing, trips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--gestures", type=int, default=40)
    parser.add_argument("--renders", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loco-bench-editor-") as tmp:
        os.environ["LOCO_DATA_DIR"] = tmp
        os.environ.pop("LOCO_DATABASE_URL", None)
        video_id = prepare(Path(tmp), args.minutes, args.events)
        times = server_gestures(video_id, args.gestures)
        parts = ", ".join(f"{name} {statistics.median(values) * 1000:.1f}" for name, values in times.items())
        median = statistics.median(times["total"]) * 1000
        print(f"server per gesture, median ms: {parts} = {median / GESTURE_GOAL_MS:.2f} x the "
              f"{GESTURE_GOAL_MS:.0f} ms goal")
        with running_app(Path(tmp), Path(tmp) / "server.log") as url:
            firsts, drawing, trips = browser_render(url, args.renders, min(args.gestures, 10))
        first = statistics.median(firsts)
        print(f"first render in Chromium (iframe navigation to drawn): median {first:.2f} s "
              f"(drawing after the arguments arrived {statistics.median(drawing):.2f} s) = "
              f"{first / RENDER_GOAL_S:.2f} x the {RENDER_GOAL_S} s goal")
        print(f"gesture round trip on the Correct page (key press to the answer drawn, Streamlit's rerun included): "
              f"median {statistics.median(trips):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
