"""Server-side render time of each page of the app, for a 60 s video with 100 predictions (goal: <= 1.5 s each).

    python -m bench.bench_pages [--repeats 3] [--duration 60]   (from the repository root)

Builds a throwaway data folder: a 60 s clip of real street footage with a dog shown and barking, detected by a
randomly initialised compact model (which, after soft-NMS, keeps its maximum of 100 events), then times
``AppTest.run()`` of each page after one warm-up run (imports and caches filled, as for a user who has the app
open). Prints the median per page and its ratio to the goal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from loco.checkpoint import load_checkpoint, save_checkpoint
from loco.config import load_config
from loco.features.registry import prepare_all
from loco.grid import UNAV_GRID
from loco.model import build_model
from storage import RunView, open_store
from storage.taxonomy import load_taxonomy_file
from studio import runs, uploads
from tests.fixtures.media.make_media import event_clip

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 1.5
PAGES = ["detect", "timeline", "correspondence", "correct", "review", "dataset", "train"]


def prepare(folder: Path, duration: float) -> tuple[RunView, int, float]:
    torch.set_num_threads(2)
    prepare_all()
    config = load_config("compact")
    checkpoint = folder / "models" / "bench_untrained.safetensors"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(checkpoint, build_model(config.model, seed=0), config, [c.name for c in load_taxonomy_file()],
                    "fast", UNAV_GRID, {"note": "untrained, for timing only"})
    clip = event_clip(folder / "clip.mp4", "dog", 20.0, 30.0, duration)
    store = open_store()
    with open(clip, "rb") as handle:
        video = uploads.spool_upload(handle)
    started = time.perf_counter()
    record = runs.detect(store, video, checkpoint, load_checkpoint(checkpoint), original_name="bench.mp4")
    detect_s = time.perf_counter() - started
    events = store.current_events(record.video_id)
    store.close()
    return record, len(events), detect_s


def time_page(page: str, repeats: int, video_id: str) -> list[float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["video_id"] = video_id
    at.session_state["score_threshold"] = 0.0  # draw all 100 predictions
    at.run()
    at.switch_page(f"pages/{page}.py").run()  # warm-up: imports, caches
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loco-bench-") as tmp:
        os.environ["LOCO_DATA_DIR"] = tmp
        os.environ.pop("LOCO_DATABASE_URL", None)
        record, num_events, detect_s = prepare(Path(tmp), args.duration)
        print(f"video {record.duration:.1f} s, {num_events} predicted events; detection (untimed setup) "
              f"{detect_s:.1f} s")
        print(f"{'page':<16} {'median s':>9} {'min s':>7} {'/ goal':>7}")
        worst = 0.0
        for page in PAGES:
            times = time_page(page, args.repeats, record.video_id)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"{page:<16} {median:9.3f} {min(times):7.3f} {median / GOAL_S:7.2f}")
        print(f"slowest page: {worst:.3f} s = {worst / GOAL_S:.2f} x the {GOAL_S} s goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
