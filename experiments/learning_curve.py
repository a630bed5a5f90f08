"""Learning from corrections: how a class's AP grows with the number of videos a user corrects, and what the other
classes keep.

Two curves on the benchmark, each for N = 0, 1, 3, 10 corrected videos (nested: the first N of one seeded order):

- **a new class** X (``--new-class``, by default the class with the most test videos among those with at least 10
  training videos: a rule on counts, written before any result). The *base* model is compact LoCo trained without
  X: every train and validation video that shows X is dropped, so no step of its training sees X, even as
  background, and X's events are dropped from the test and dev videos its annotation file keeps, so that it has no
  row for X at all (a fine-tune then adds it as the app does). The dropped training videos are the pool a user
  corrects. The *reference* is the same recipe trained on every training video, X's included.
- **a known class named badly on new exemplars** Y (``--known-class``, by default the class other than X with the
  most videos in the pool, among those with at least 3 test videos). The start is the reference model; the pool is a
  separate build of test-exemplar videos (``python -m loco build-dataset --train 0 --val 0 --dev 0`` with other
  seeds: the test split's held-out recordings and photos over held-out footage, other timelines), the AP is measured
  on the benchmark's own test split, the rest.

A correction is simulated from the ground truth as a user correcting the class on the Correct page would: the class's
events are added (or a proposal edited onto them), its proposals that match none of them (tIoU < 0.5) are rejected,
and so are the other classes' proposals over one of its events (tIoU >= 0.3) that match no event of their own class;
every other proposal is left as it was (so it is not in the snapshot). Proposals are those the Timeline shows (score
>= 0.1). The snapshot, as the app exports it (its UnAV JSON with the rejected proposals beside ``database``), is
fine-tuned on with ``python -m loco train --init`` and the recipe the app chooses for its size
(``studio.training.choose_recipe``, on one intra-op thread as the app runs it), without validation videos (a user's
few corrected videos are all training videos), so the last epoch is kept. Reported: the class's AP@0.5 on the test
split, the other classes' mAP@0.5 before and after, and the fine-tune's wall and CPU time.

``--choose-recipe`` instead runs the candidate recipes (``CANDIDATES``) at N = 3 of the new-class curve, scores them
on the validation split (X's validation videos and the other classes), never on test, and picks one by a fixed rule
(``best_candidate``): how the app's recipe for a few videos is chosen. It writes ``<out>/recipes_on_validation.json``.

    python -m loco build-dataset --out data/learning_curve/pool1 --train 0 --val 0 --test 60 --dev 0 --seed 1 --fps 10
    python -m loco build-dataset --out data/learning_curve/pool2 --train 0 --val 0 --test 30 --dev 0 --seed 2 --fps 10
    python -m loco extract data/learning_curve/pool1/videos --profile fast --out data/learning_curve/pool1/features
    python -m loco extract data/learning_curve/pool2/videos --profile fast --out data/learning_curve/pool2/features
    python experiments/learning_curve.py --annotations data/benchmark/annotations.json \\
        --features data/benchmark/features --pool data/learning_curve/pool1 data/learning_curve/pool2 \\
        --out data/learning_curve/run --plot docs/images/learning_curve.png -- train.epochs=16 \\
        train.warmup_epochs=1 train.lr=5e-4 train.pad_to_max_seq_len=false

The same command with ``--choose-recipe`` (no ``--pool`` or ``--plot`` needed) runs the recipe choice. The overrides
after ``--`` are the base and reference models' recipe; finished runs are reused (an interrupted one resumes). Writes
``<out>/learning_curve.json`` and prints Markdown tables (AP in points).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from loco.checkpoint import load_checkpoint
from loco.evaluate import REJECTED_KEY, load_ground_truth, segment_iou
from loco.grid import UNAV_GRID
from loco.infer import dataset_for, evaluate_checkpoint, predict_dataset
from studio.training import TRAINING_ENV, Recipe, SnapshotContents, choose_recipe

NS = (1, 3, 10)
THRESHOLD = 0.1  # the Timeline's default score threshold: the proposals a user sees
MATCH_IOU = 0.5  # a proposal of the class matching one of its events: accepted (edited onto it)
OVER_IOU = 0.3  # another class's proposal over one of the class's events: it named that event wrongly
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Point:
    """One fine-tune (or a start model at N = 0): the class's AP@0.5 on test, the other classes' mAP@0.5 on test."""

    n: int
    class_ap50: float
    others_map50: float
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rejected: int = 0
    epochs: int = 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, required=True, help="the benchmark's UnAV JSON")
    parser.add_argument("--features", type=Path, required=True, help="its fast features")
    parser.add_argument("--pool", type=Path, nargs="+", default=[],
                        help="builds of test-exemplar videos for the second curve (each with annotations.json and "
                             "its fast features in features/), merged")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--new-class", help="the class the base model does not know (default: by the rule above)")
    parser.add_argument("--known-class", help="the known class of the second curve (default: by the rule above)")
    parser.add_argument("--seed", type=int, default=0, help="the order in which a pool's videos are corrected")
    parser.add_argument("--choose-recipe", action="store_true", help="score candidate recipes on validation")
    parser.add_argument("--choose-epochs", action="store_true",
                        help="score the app's recipe under other epoch rules on validation, at N = 3 and 10")
    parser.add_argument("--plot", type=Path, help="write the curves as a PNG")
    parser.add_argument("overrides", nargs="*", help="the base and reference models' recipe (after --)")
    return parser.parse_args()


def videos_with(database: dict, label: str, subsets: tuple[str, ...]) -> list[str]:
    return sorted(v for v, e in database.items()
                  if e["subset"] in subsets and any(a["label"] == label for a in e["annotations"]))


def default_new_class(database: dict) -> str:
    """The class with the most test videos among those with at least 10 training videos (ties: by name)."""
    labels = sorted({a["label"] for e in database.values() for a in e["annotations"]})
    eligible = [c for c in labels if len(videos_with(database, c, ("train",))) >= 10]
    return max(eligible, key=lambda c: (len(videos_with(database, c, ("test",))), [-ord(ch) for ch in c]))


def default_known_class(pool: dict, database: dict, new_class: str) -> str:
    """The class other than the new one with the most pool videos (ties: by name), among those the benchmark trains
    on and tests on at least 3 videos (an AP over fewer says little)."""
    labels = [c for c in sorted({a["label"] for e in pool.values() for a in e["annotations"]})
              if c != new_class and videos_with(database, c, ("train",))
              and len(videos_with(database, c, ("test",))) >= 3]
    return max(labels, key=lambda c: (len(videos_with(pool, c, ("test",))), [-ord(ch) for ch in c]))


def without_class(data: dict, label: str) -> dict:
    """The annotations without any train or validation video that shows ``label``, and without its events in the
    test and dev videos kept: a model's classes are every label of its annotation file, all subsets (``class_table``),
    so with them the base model would have a row for ``label`` trained as background everywhere, not lack it."""
    dropped = set(videos_with(data["database"], label, ("train", "validation")))
    return {"database": {v: {**e, "annotations": [a for a in e["annotations"] if a["label"] != label]}
                         for v, e in data["database"].items() if v not in dropped}}


def merged_pool(builds: list[Path], out: Path) -> tuple[Path, Path]:
    """One annotation file and one feature folder (links) of several builds, ids prefixed by the build's position
    (each build numbers its videos from 0)."""
    database = {}
    (out / "features").mkdir(parents=True, exist_ok=True)
    for index, build in enumerate(builds):
        for video, entry in json.loads((build / "annotations.json").read_text())["database"].items():
            database[f"b{index}_{video}"] = entry
            link = out / "features" / f"b{index}_{video}.npz"
            if not link.is_symlink():
                link.symlink_to((build / "features" / f"{video}.npz").resolve())
    (out / "annotations.json").write_text(json.dumps({"database": database}))
    return out / "annotations.json", out / "features"


def order(videos: list[str], seed: int) -> list[str]:
    return [videos[i] for i in np.random.default_rng(seed).permutation(len(videos))]


def run_train(out: Path, annotations: Path, features: Path, overrides: list[str], init: Path | None = None,
              validation: bool = True) -> tuple[subprocess.Popen, Path]:
    """Start ``python -m loco train`` (one intra-op thread, as the app runs it); finished runs are reused."""
    argv = [sys.executable, "-m", "loco", "train", "--annotations", str(annotations), "--features", str(features),
            "--output", str(out), *(["--init", str(init)] if init else []),
            *([] if validation else ["--no-validation"]), *overrides]
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "train.log", "a", encoding="utf-8")  # a resumed run adds to its log
    return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **TRAINING_ENV}, stdout=log, stderr=subprocess.STDOUT)


def wait(process: subprocess.Popen, out: Path) -> tuple[float, float]:
    """Wait for a training process; (wall, CPU) seconds of it alone (``os.wait4`` reads the child's own usage)."""
    started = time.perf_counter()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"training in {out} failed:\n{(out / 'train.log').read_text()[-3000:]}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def trained(out: Path, annotations: Path, features: Path, overrides: list[str], init: Path | None = None,
            validation: bool = True) -> tuple[Path, float, float]:
    """The run's best checkpoint, training it first unless a finished run of the same recipe (with its timing) is
    there; one of another recipe is an error, not a result to reuse (remove its folder)."""
    timing = out / "timing.json"
    if timing.is_file() and (out / "best.safetensors").is_file():
        seconds = json.loads(timing.read_text())
        if seconds.get("overrides") != overrides:
            raise RuntimeError(f"{out} was fine-tuned with {seconds.get('overrides')}, not {overrides}: remove it")
        return out / "best.safetensors", seconds["wall_s"], seconds["cpu_s"]
    started = time.perf_counter()
    process = run_train(out, annotations, features, overrides, init, validation)
    _, cpu = wait(process, out)
    wall = time.perf_counter() - started
    timing.write_text(json.dumps({"wall_s": wall, "cpu_s": cpu, "load_average": os.getloadavg()[0],
                                  "overrides": overrides}))
    return out / "best.safetensors", wall, cpu


def predictions(checkpoint: Path, annotations: dict, features: Path, videos: list[str]) -> dict[str, list[dict]]:
    """The start model's proposals on ``videos`` that the Timeline shows (score >= THRESHOLD), by video."""
    loaded = load_checkpoint(checkpoint)
    subset = {"database": {v: {**annotations["database"][v], "subset": "pool"} for v in videos}}
    found: dict[str, list[dict]] = {v: [] for v in videos}
    for p in predict_dataset(loaded, dataset_for(loaded, subset, features, "pool")):
        if p.score >= THRESHOLD:
            found[p.video_id].append({"segment": [p.start, p.end], "label": loaded.class_names[p.label_id],
                                      "score": p.score})
    return found


def corrected(annotations: dict, videos: list[str], proposals: dict[str, list[dict]], label: str) -> dict:
    """The snapshot a user makes by correcting ``label`` in ``videos`` (module docstring): its events, and the
    rejected proposals beside ``database``; label ids are the annotation file's."""
    ids = {a["label"]: a["label_id"] for e in annotations["database"].values() for a in e["annotations"]}
    database, rejected = {}, {}
    for video in videos:
        entry = annotations["database"][video]
        events = [a for a in entry["annotations"] if a["label"] == label]
        spans = np.array([a["segment"] for a in events], dtype=np.float64).reshape(-1, 2)
        own = {c: np.array([a["segment"] for a in entry["annotations"] if a["label"] == c]).reshape(-1, 2)
               for c in {a["label"] for a in entry["annotations"]}}
        wrong = []
        for proposal in proposals[video]:
            segment = np.array(proposal["segment"])
            if proposal["label"] == label:
                bad = not len(spans) or segment_iou(segment, spans).max() < MATCH_IOU
            else:
                mine = own.get(proposal["label"], np.zeros((0, 2)))
                over = len(spans) and segment_iou(segment, spans).max() >= OVER_IOU
                bad = bool(over) and (not len(mine) or segment_iou(segment, mine).max() < MATCH_IOU)
            if bad:
                wrong.append({**proposal, "label_id": ids.get(proposal["label"], -1)})
        database[video] = {"subset": "train", "duration": entry["duration"], "annotations": events}
        if wrong:
            rejected[video] = wrong
    return {"database": database, REJECTED_KEY: rejected}


def contents_of(snapshot: dict, start_classes: list[str]) -> SnapshotContents:
    """What the app's Train page would say of the snapshot (the recipe depends on it)."""
    database = snapshot["database"]
    events = Counter(a["label"] for e in database.values() for a in e["annotations"])
    steps = sum(UNAV_GRID.num_steps(e["duration"]) for e in database.values())
    return SnapshotContents(0, {"train": len(database)}, dict(events),
                            [c for c in events if c not in start_classes],
                            sum(len(v) for v in snapshot[REJECTED_KEY].values()), steps, 0)


@functools.lru_cache(maxsize=None)
def scores(checkpoint: Path, annotations: Path, features: Path, split: str, label: str) -> tuple[float, float]:
    """(AP@0.5 of ``label``, mAP@0.5 of every other class) of a checkpoint on a split, on one intra-op thread."""
    loaded = load_checkpoint(checkpoint)
    truth = load_ground_truth(annotations, split)
    dataset = dataset_for(loaded, annotations, features, split)
    rows = {r["label"]: r["AP@0.5"] for r in evaluate_checkpoint(loaded, dataset, truth).named.per_class()}
    others = [ap for name, ap in rows.items() if name != label]
    return rows.get(label, 0.0), float(np.mean(others)) if others else float("nan")


def curve(name: str, start: Path, pool_annotations: Path, pool_features: Path, pool: list[str], label: str,
          test_annotations: Path, test_features: Path, out: Path, recipe: Recipe | None = None,
          split: str = "test", ns: tuple[int, ...] = NS) -> list[Point]:
    """N = 0 (the start) and a fine-tune per N of ``ns`` on the first N videos of ``pool``, scored on ``split``."""
    class_ap, others = scores(start, test_annotations, test_features, split, label)
    points = [Point(0, class_ap, others)]
    data = json.loads(pool_annotations.read_text())
    proposals = predictions(start, data, pool_features, pool[: max(ns)])
    start_classes = load_checkpoint(start).class_names
    for n in ns:
        if n > len(pool):
            break
        snapshot = corrected(data, pool[:n], proposals, label)
        run = out / name / f"n{n}"
        run.mkdir(parents=True, exist_ok=True)
        snapshot_file = run / "snapshot.json"
        snapshot_file.write_text(json.dumps(snapshot, indent=1))
        chosen = recipe or choose_recipe(contents_of(snapshot, start_classes), fine_tune=True)
        checkpoint, wall, cpu = trained(run, snapshot_file, pool_features, chosen.overrides(), start,
                                        validation=False)
        class_ap, others = scores(checkpoint, test_annotations, test_features, split, label)
        points.append(Point(n, class_ap, others, wall, cpu, sum(len(v) for v in snapshot[REJECTED_KEY].values()),
                            chosen.epochs))
        print(f"{name} N={n}: {label} AP@0.5 {100 * class_ap:.1f}, others {100 * others:.1f}, "
              f"{wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
    return points


CANDIDATES = {  # the recipes --choose-recipe compares at N = 3 (80 epochs: the app's rule for 3 videos then)
    "heads, lr 1e-3, distill 1": Recipe(1, 1e-3, True, 1.0, "candidate"),
    "heads, lr 1e-3, no distill": Recipe(1, 1e-3, True, 0.0, "candidate"),
    "heads, lr 3e-3, distill 1": Recipe(1, 3e-3, True, 1.0, "candidate"),
    "whole model, lr 2e-4, distill 1": Recipe(1, 2e-4, False, 1.0, "candidate"),
    "heads, lr 1e-4, distill 1": Recipe(1, 1e-4, True, 1.0, "candidate"),
    "heads, lr 1e-3, distill 10": Recipe(1, 1e-3, True, 10.0, "candidate"),
    "heads, lr 1e-4, distill 10": Recipe(1, 1e-4, True, 10.0, "candidate"),
    # added later, with train.distill_only_where_silent (the start's classes taught by distillation alone where the
    # user said nothing), before any of their scores was seen; the rule below is unchanged
    "heads, lr 1e-3, distill 1, silent by distillation": Recipe(1, 1e-3, True, 1.0, "candidate", True),
    "heads, lr 1e-4, distill 1, silent by distillation": Recipe(1, 1e-4, True, 1.0, "candidate", True),
    "heads, lr 3e-3, distill 1, silent by distillation": Recipe(1, 3e-3, True, 1.0, "candidate", True),
    # added after those three scored no better, and after swapping the base's regression head back into the lr 1e-3
    # fine-tune (validation, N = 3) gave the other classes 55.6 instead of 26.3: the shared regression head's drift
    # costs them most; train.keep_start_regression keeps it (the added class trains its own rows)
    "heads, lr 1e-3, distill 1, start regression kept": Recipe(1, 1e-3, True, 1.0, "candidate", False, True),
    "heads, lr 1e-4, distill 1, start regression kept": Recipe(1, 1e-4, True, 1.0, "candidate", False, True),
    "heads, lr 3e-4, distill 1, start regression kept": Recipe(1, 3e-4, True, 1.0, "candidate", False, True),
    # added after those: only the output rows of the classes the snapshot names train (train.said_classes_only), the
    # rest of the model kept; a linear row on fixed features may want a higher rate
    "said classes only, lr 1e-3, distill 1": Recipe(1, 1e-3, True, 1.0, "candidate", said_classes_only=True),
    "said classes only, lr 3e-3, distill 1": Recipe(1, 3e-3, True, 1.0, "candidate", said_classes_only=True),
    "said classes only, lr 1e-2, distill 1": Recipe(1, 1e-2, True, 1.0, "candidate", said_classes_only=True),
}
EPOCH_RULES = {  # the epoch rules --choose-epochs compares, the app's recipe otherwise (one batch an epoch)
    "ceil(240 / N) within 30-120": lambda n: min(max(math.ceil(240 / n), 30), 120),
    "120 whatever N": lambda n: 120,
    "240 whatever N": lambda n: 240,
}
EPOCH_NS = (3, 10)
KEEP_POINTS = 0.02  # the issue's goal: the other classes' mAP@0.5 within 2 points of the start's


def folder_name(name: str) -> str:
    """The run folder of a candidate recipe or epoch rule, from its name in the tables."""
    return name.replace(" ", "_").replace(",", "").replace("/", "per").replace("(", "").replace(")", "")


def best_candidate(results: dict[str, Point], start_others: float) -> str:
    """The rule --choose-recipe applies to the validation scores (written before any was seen): among the candidates
    that keep the other classes' mAP@0.5 within 2 points of the start's, the highest AP@0.5 of the new class; if
    none keeps them, the highest sum of the two."""
    kept = [name for name, p in results.items() if p.others_map50 >= start_others - KEEP_POINTS]
    if kept:
        return max(kept, key=lambda name: (results[name].class_ap50, results[name].others_map50))
    return max(results, key=lambda name: results[name].class_ap50 + results[name].others_map50)


def best_epoch_rule(results: dict[str, list[Point]], start_others: float) -> str:
    """The rule --choose-epochs applies (written before any score was seen): among the epoch rules that keep the
    other classes within 2 points of the start's at every N, the best mean AP of the new class; if none keeps them,
    the best mean of the two sums."""
    kept = [name for name, points in results.items()
            if all(p.others_map50 >= start_others - KEEP_POINTS for p in points)]
    if kept:
        return max(kept, key=lambda name: np.mean([p.class_ap50 for p in results[name]]))
    return max(results, key=lambda name: np.mean([p.class_ap50 + p.others_map50 for p in results[name]]))


def table(title: str, label: str, points: list[Point], reference: float | None) -> str:
    lines = [f"**{title}: {label}**", "",
             "| corrected videos | AP@0.5 of the class | other classes' mAP@0.5 | fine-tune wall / CPU | rejected |",
             "|---|---|---|---|---|"]
    for p in points:
        timing = f"{p.wall_s:.0f} s / {p.cpu_s:.0f} s ({p.epochs} epochs)" if p.n else "-"
        lines.append(f"| {p.n} | {100 * p.class_ap50:.1f} | {100 * p.others_map50:.1f} | {timing} | "
                     f"{p.rejected if p.n else '-'} |")
    if reference is not None:
        lines += ["", f"Reference (trained on every training video of the class): AP@0.5 {100 * reference:.1f}."]
    return "\n".join(lines)


def plot(path: Path, curves: dict[str, tuple[list[Point], float | None]]) -> None:
    """The class's AP (solid) and the other classes' mAP (dashed) against N, one colour per curve."""
    width, height, left, right, top, bottom = 1000, 520, 70, 330, 40, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    x_of = {n: left + (width - left - right) * i / 3 for i, n in enumerate((0, *NS))}

    def y_of(value: float) -> float:
        return top + (height - top - bottom) * (1 - value)

    draw.line([(left, top), (left, height - bottom), (width - right, height - bottom)], fill="black", width=2)
    for tick in range(0, 101, 20):
        y = y_of(tick / 100)
        draw.line([(left - 5, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((left - 40, y - 8), f"{tick}", fill="black", font=font)
    for n, x in x_of.items():
        draw.text((x - 4, height - bottom + 8), str(n), fill="black", font=font)
    draw.text(((left + width - right) / 2 - 60, height - 30), "corrected videos", fill="black", font=font)
    draw.text((10, 10), "AP@0.5 (points), test split", fill="black", font=font)
    colours = [(31, 119, 180), (214, 39, 40)]
    legend_y = top
    for (name, (points, reference)), colour in zip(curves.items(), colours):
        class_line = [(x_of[p.n], y_of(p.class_ap50)) for p in points]
        others_line = [(x_of[p.n], y_of(p.others_map50)) for p in points]
        draw.line(class_line, fill=colour, width=3)
        for x, y in class_line:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        for (x0, y0), (x1, y1) in zip(others_line, others_line[1:]):
            for k in range(0, 10, 2):  # dashed
                draw.line([(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10),
                           (x0 + (x1 - x0) * (k + 1) / 10, y0 + (y1 - y0) * (k + 1) / 10)], fill=colour, width=2)
        if reference is not None:
            y = y_of(reference)
            for x in range(left, width - right, 12):
                draw.line([(x, y), (x + 5, y)], fill=colour, width=1)
        for text in (f"{name}: the class", f"{name}: other classes (dashed)",
                     *([f"{name}: reference model (dotted)"] if reference is not None else [])):
            draw.text((width - right + 15, legend_y), text, fill=colour, font=font)
            legend_y += 20
        legend_y += 10
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def main() -> int:
    args = parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    data = json.loads(args.annotations.read_text())
    database = data["database"]
    new_class = args.new_class or default_new_class(database)
    base_annotations = args.out / "without_class.json"
    base_annotations.write_text(json.dumps(without_class(data, new_class)))
    # side by side, each on one thread; a finished run resumes to nothing
    runs = {"base": run_train(args.out / "base", base_annotations, args.features, args.overrides),
            "reference": run_train(args.out / "reference", args.annotations, args.features, args.overrides)}
    for name, process in runs.items():
        wait(process, args.out / name)
    base, reference = args.out / "base" / "best.safetensors", args.out / "reference" / "best.safetensors"
    pool = order(videos_with(database, new_class, ("train",)), args.seed)
    print(f"new class: {new_class} ({len(pool)} training videos, "
          f"{len(videos_with(database, new_class, ('test',)))} test videos)", flush=True)
    results: dict = {"new_class": new_class, "load_average_start": os.getloadavg()[0]}

    if args.choose_recipe:
        chosen, epochs = {}, 80  # 3 videos' epochs under the app's rule when the recipes were compared, ceil(240 / 3)
        start_others = scores(base, args.annotations, args.features, "validation", new_class)[1]
        print(f"| recipe ({epochs} epochs) | {new_class} AP@0.5 | other classes' mAP@0.5 (start "
              f"{100 * start_others:.1f}) |\n|---|---|---|", flush=True)
        for name, recipe in CANDIDATES.items():
            points = curve(f"choose/{folder_name(name)}", base, args.annotations, args.features,
                           pool[:3], new_class, args.annotations, args.features, args.out,
                           replace(recipe, epochs=epochs), split="validation", ns=(3,))
            chosen[name] = points[-1]
            print(f"| {name} | {100 * points[-1].class_ap50:.1f} | {100 * points[-1].others_map50:.1f} |", flush=True)
        best = best_candidate(chosen, start_others)
        print(f"chosen by the rule: {best}", flush=True)
        (args.out / "recipes_on_validation.json").write_text(json.dumps(
            {"start_others_map50": start_others, "epochs": epochs, "chosen": best,
             "candidates": {name: asdict(p) for name, p in chosen.items()}}, indent=1))
        return 0

    if args.choose_epochs:
        start_others = scores(base, args.annotations, args.features, "validation", new_class)[1]
        print(f"| epochs | N | {new_class} AP@0.5 | other classes' mAP@0.5 (start {100 * start_others:.1f}) |\n"
              "|---|---|---|---|", flush=True)
        rules: dict[str, list[Point]] = {}
        for name, rule in EPOCH_RULES.items():
            rules[name] = []
            for n in EPOCH_NS:
                recipe = choose_recipe(SnapshotContents(0, {"train": n}, {}, [], 0, 0, 0), True)
                rules[name] += curve(f"choose_epochs/{folder_name(name)}", base, args.annotations, args.features, pool[:n],
                                     new_class, args.annotations, args.features, args.out,
                                     replace(recipe, epochs=rule(n)), split="validation", ns=(n,))[1:]
                point = rules[name][-1]
                print(f"| {name} ({rule(n)}) | {n} | {100 * point.class_ap50:.1f} | {100 * point.others_map50:.1f} |",
                      flush=True)
        best = best_epoch_rule(rules, start_others)
        print(f"chosen by the rule: {best}", flush=True)
        (args.out / "epochs_on_validation.json").write_text(json.dumps(
            {"start_others_map50": start_others, "chosen": best,
             "rules": {name: [asdict(p) for p in points] for name, points in rules.items()}}, indent=1))
        return 0

    reference_ap, _ = scores(reference, args.annotations, args.features, "test", new_class)
    new_points = curve("new", base, args.annotations, args.features, pool, new_class, args.annotations,
                       args.features, args.out)
    results["new"] = {"points": [asdict(p) for p in new_points], "reference_ap50": reference_ap}
    curves = {f"{new_class} (new)": (new_points, reference_ap)}
    print(table("A class the model does not know", new_class, new_points, reference_ap), flush=True)

    if args.pool:
        pool_annotations, pool_features = merged_pool(args.pool, args.out / "pool")
        pool_database = json.loads(pool_annotations.read_text())["database"]
        known = args.known_class or default_known_class(pool_database, database, new_class)
        known_pool = order(videos_with(pool_database, known, ("test",)), args.seed)
        validation_ap, _ = scores(reference, args.annotations, args.features, "validation", known)
        print(f"known class: {known} ({len(known_pool)} pool videos; the reference's validation AP@0.5 "
              f"{100 * validation_ap:.1f})", flush=True)
        known_points = curve("known", reference, pool_annotations, pool_features, known_pool, known,
                             args.annotations, args.features, args.out)
        results["known"] = {"class": known, "points": [asdict(p) for p in known_points],
                            "validation_ap50_of_the_start": validation_ap}
        curves[f"{known} (known)"] = (known_points, None)
        print(table("A known class named badly on new exemplars", known, known_points, None), flush=True)

    results["load_average_end"] = os.getloadavg()[0]
    (args.out / "learning_curve.json").write_text(json.dumps(results, indent=1))
    if args.plot is not None:
        plot(args.plot, curves)
    return 0


if __name__ == "__main__":
    sys.exit(main())
