"""The whole build: plans from the seed, videos rendered by a small process pool (skipping those already written, so
an interrupted build resumes), then the UnAV-format annotation file and a build record with the statistics."""

from __future__ import annotations

import json
import multiprocessing
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from loco.data.builder.compose import render_video
from loco.data.builder.plan import (
    PlanSpec,
    TimelineTemplates,
    VideoPlan,
    make_layer,
    plan_dataset,
    timeline_statistics,
)
from loco.data.builder.sources import (
    POOLS,
    SUBSETS,
    Catalogue,
    load_backgrounds,
    load_catalogue,
    pool_of,
)
from loco.io import atomic_write

ANNOTATION_FILE = "annotations.json"
BUILD_RECORD = "build_info.json"
VIDEO_DIR = "videos"


@dataclass(frozen=True)
class BuildReport:
    out_dir: Path
    videos: int
    rendered: int
    skipped: int
    seconds: float
    annotation_file: Path


def _write_json(path: Path, data: dict) -> None:
    with atomic_write(path, "w") as handle:
        json.dump(data, handle, indent=1)


def annotation_database(plans: list[VideoPlan]) -> dict:
    return {"database": {plan.video_id: plan.annotation_entry() for plan in plans}}


def _render_if_missing(job: tuple[dict, str]) -> bool:
    """Pool worker: render one plan unless its file exists. Returns True when it rendered."""
    plan_dict, path = job
    if Path(path).is_file():
        return False
    render_video(VideoPlan.from_dict(plan_dict), path)
    return True


def _stale_videos(out_dir: Path, plans: list[VideoPlan]) -> list[Path]:
    """Videos on disk whose recorded plan differs from the plan this build would render (a changed seed, count-free
    option or builder version): they must be rendered again, never silently reused with the wrong ground truth."""
    record_path = out_dir / BUILD_RECORD
    previous = {}
    if record_path.is_file():
        previous = {p["video_id"]: p for p in json.loads(record_path.read_text()).get("plans", [])}
    stale = []
    for plan in plans:
        path = out_dir / VIDEO_DIR / f"{plan.video_id}.mp4"
        if path.is_file() and previous.get(plan.video_id) != json.loads(json.dumps(plan.to_dict())):
            stale.append(path)
    return stale


def _sources_record(catalogue: Catalogue) -> dict:
    pools = {}
    for pool in POOLS:
        pools[pool] = {
            "class_stamps": {c.name: [s.key for s in c.stamps(pool)] for c in catalogue.classes},
            "distractor_stamps": [s.key for s in catalogue.distractors[pool]],
            "photo_only_stamps": [s.key for s in catalogue.photo_only[pool]],
        }
    return pools


def build_dataset(
    out_dir: Path | str,
    counts: dict[str, int],
    seed: int,
    unav_annotations: Path | str,
    stamp_root: Path | str | None = None,
    backgrounds: list[Path | str] | None = None,
    workers: int = 2,
    spec: PlanSpec = PlanSpec(),
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build (or finish building) a dataset in ``out_dir``: ``videos/<id>.mp4``, ``annotations.json`` (UnAV format) and
    ``build_info.json`` (seed, sources per split, UnAV-100 vs built timeline statistics, every plan). A video already
    on disk is kept only if ``build_info.json`` records the same plan for it."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    catalogue = load_catalogue(stamp_root) if stamp_root else load_catalogue()
    footage = load_backgrounds(backgrounds)
    templates = TimelineTemplates.from_annotation_file(unav_annotations, spec.max_template_events)
    plans = plan_dataset(catalogue, templates, footage, counts, seed, spec)
    record = {
        "seed": seed,
        "counts": {s: counts.get(s, 0) for s in SUBSETS},
        "spec": asdict(spec),
        "classes": [{"name": c.name, "label_id": c.label_id} for c in catalogue.classes],
        "backgrounds": [{"file": b.name, "duration": b.duration, "test_range": b.time_range("test")} for b in footage],
        "sources": _sources_record(catalogue),
        "statistics": {
            "unav100_templates": timeline_statistics([(1.0, t) for t in templates.timelines]),
            "built": timeline_statistics([(p.duration, [(e.start, e.end, e.label) for e in p.events()])
                                          for p in plans]),
        },
        "plans": [p.to_dict() for p in plans],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in _stale_videos(out_dir, plans):
        path.unlink()
    _write_json(out_dir / BUILD_RECORD, record)
    jobs = [(p.to_dict(), str(out_dir / VIDEO_DIR / f"{p.video_id}.mp4")) for p in plans]
    rendered = done = 0
    context = multiprocessing.get_context("forkserver")
    with context.Pool(max(1, workers)) as pool:
        for did_render in pool.imap_unordered(_render_if_missing, jobs, chunksize=1):
            rendered += did_render
            done += 1
            if progress:
                progress(done, len(jobs))
    _write_json(out_dir / ANNOTATION_FILE, annotation_database(plans))
    return BuildReport(out_dir, len(plans), rendered, len(plans) - rendered, time.perf_counter() - started,
                       out_dir / ANNOTATION_FILE)


# The app's example: four test-split classes, one off-screen sound, on held-out footage.
EXAMPLE_EVENTS = (
    ("event", "bird chirping", "animals/birds/lark", 1.0, 4.5),
    ("sound_only", None, "animals/birds/hen", 5.5, 8.0),
    ("event", "bull bellowing", "animals/mammals/bovines/bison", 9.0, 13.0),
    ("event", "bird chirping", "animals/birds/lark", 11.6, 14.2),
    ("event", "lions roaring", "animals/mammals/cats/tiger", 15.2, 18.6),
    ("event", "playing drum kit", "hobbies/music/percussion/drum_tomtom_floor", 19.6, 23.0),
)


def plan_example(catalogue: Catalogue, backgrounds: list[Path | str] | None = None, seed: int = 7) -> VideoPlan:
    """The example video's plan: fixed timeline, test-pool stamps only, vtest.avi's held-out range, 384x288."""
    spec = PlanSpec(width=384, height=288)
    rng = np.random.default_rng(seed)
    footage = {b.name: b for b in load_backgrounds(backgrounds)}
    background = footage.get("vtest.avi") or next(iter(footage.values()))
    layers: list = []
    for kind, class_name, key, start, end in EXAMPLE_EVENTS:
        stamp_class = catalogue.by_name(class_name) if class_name else None
        stamp = catalogue.stamp(key)
        if stamp_class is not None and stamp not in stamp_class.stamps(pool_of("test")):
            raise ValueError(f"example stamp {key} is not a test-split stamp of {class_name}")
        layers.append(make_layer(rng, spec, kind, stamp, start, end, layers, stamp_class))
    low, high = background.time_range("test")
    return VideoPlan(
        video_id="example", subset="test", duration=24.0, width=spec.width, height=spec.height, fps=spec.fps,
        sample_rate=spec.sample_rate, background=str(background.path), background_range=(round(low, 3), round(high, 3)),
        background_start=round(low, 3), background_speed=1.0, background_flip=False, brightness=1.0, noise_db=-45.0,
        noise_seed=seed, layers=tuple(layers),
    )


def write_example(out_dir: Path | str, stamp_root: Path | str | None = None,
                  backgrounds: list[Path | str] | None = None) -> tuple[Path, Path]:
    """Write ``example.mp4`` and its ground truth ``example_gt.json`` (UnAV format) into ``out_dir``."""
    out_dir = Path(out_dir)
    catalogue = load_catalogue(stamp_root) if stamp_root else load_catalogue()
    plan = plan_example(catalogue, backgrounds)
    video = render_video(plan, out_dir / "example.mp4")
    truth = out_dir / "example_gt.json"
    _write_json(truth, annotation_database([plan]))
    return video, truth
