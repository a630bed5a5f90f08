"""Where UnAV-100 splits an event, and the real-video set scored with its events split the same way.

The real-video set (``assets/realvideo/``) was annotated by hand with speech split at every pause of half a second or
more (its README), which we took for UnAV-100's practice. This measures UnAV-100's practice instead: the gaps between
consecutive events of one class in one video, over the whole annotation file (train, validation and test). Then it
reads the real-video set the way UnAV-100 would have split it: two events of one class closer than UnAV-100's 1st
percentile gap (set from the statistics, not from any result) become one. The hand annotations are not changed; the
set is scored both ways with the given checkpoints (default: the shipped model), decoding the whole taxonomy as
``eval`` and the app do. The videos added after this measurement (``UNAV_WAY_FROM_THE_START``), whose events were
annotated UnAV-100's way before any model ran on them, are also scored on their own.

    python experiments/event_gaps.py [--unav tests/fixtures/unav100/unav100_annotations.json] \\
        [--checkpoint assets/models/loco_compact.safetensors ...] [--out merged.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from loco.checkpoint import load_checkpoint
from loco.commands.predict import scoring_taxonomy
from loco.evaluate import load_ground_truth
from loco.infer import dataset_for, evaluate_checkpoint
from loco.paths import ASSETS_DIR, REPO_ROOT

UNAV = REPO_ROOT / "tests" / "fixtures" / "unav100" / "unav100_annotations.json"
REAL = ASSETS_DIR / "realvideo"
SPEAKING = ("man speaking", "woman speaking")
PERCENTILE = 1.0  # events of one class closer than UnAV-100's 1st percentile gap read as one
# the set's videos annotated by UnAV-100's practice from the start (assets/realvideo/README.md)
UNAV_WAY_FROM_THE_START = ("obama_oath", "kphotoalbum_movie", "forensics_hello")


def same_class_gaps(database: dict, classes: tuple[str, ...] | None = None) -> np.ndarray:
    """Seconds between each event and the next of its class in its video (``classes``: only those)."""
    gaps = []
    for entry in database.values():
        by_class: dict[str, list[list[float]]] = {}
        for event in entry["annotations"]:
            if classes is None or event["label"] in classes:
                by_class.setdefault(event["label"], []).append(event["segment"])
        for segments in by_class.values():
            segments.sort()
            gaps += [later[0] - earlier[1] for earlier, later in zip(segments, segments[1:])]
    return np.asarray(gaps, dtype=float)


def merged(database: dict, min_gap: float) -> dict:
    """``database`` with each two events of one class less than ``min_gap`` apart made one."""
    out = {}
    for video_id, entry in database.items():
        events: list[dict] = []
        for event in sorted(entry["annotations"], key=lambda a: (a["label"], a["segment"][0])):
            last = events[-1] if events else None
            close = last is not None and event["segment"][0] - last["segment"][1] < min_gap
            if close and last["label"] == event["label"]:
                last["segment"] = [last["segment"][0], max(last["segment"][1], event["segment"][1])]
            else:
                events.append({**event, "segment": list(event["segment"])})
        out[video_id] = {**entry, "annotations": events}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unav", type=Path, default=UNAV, help="UnAV-100's annotation file")
    parser.add_argument("--real", type=Path, default=REAL, help="the real-video set's folder")
    parser.add_argument("--checkpoint", type=Path, nargs="+",
                        default=[ASSETS_DIR / "models" / "loco_compact.safetensors"])
    parser.add_argument("--out", type=Path, help="write the set's annotations read UnAV-100's way here")
    args = parser.parse_args()

    unav = json.loads(args.unav.read_text(encoding="utf-8"))["database"]
    print("| UnAV-100 gaps between events of one class | count | < 0.5 s | < 1 s | < 1.5 s | 1st pct | 5th | median |")
    print("|---|---|---|---|---|---|---|---|")
    for title, classes in (("every class", None), ("man and woman speaking", SPEAKING)):
        gaps = same_class_gaps(unav, classes)
        apart = gaps[gaps > 0]
        shares = " | ".join(f"{100 * np.mean(apart < limit):.1f} %" for limit in (0.5, 1.0, 1.5))
        p1, p5, p50 = np.percentile(apart, [1, 5, 50])
        print(f"| {title} | {len(gaps)} ({int(np.sum(gaps <= 0))} touching or overlapping) | {shares} | {p1:.2f} s "
              f"| {p5:.2f} s | {p50:.2f} s |")
    every = same_class_gaps(unav)
    min_gap = round(float(np.percentile(every[every > 0], PERCENTILE)), 2)

    annotations = args.real / "annotations.json"
    hand = json.loads(annotations.read_text(encoding="utf-8"))
    unav_way = {"database": merged(hand["database"], min_gap)}
    merged_file = args.out or Path(tempfile.mkdtemp()) / "realvideo_unav_way.json"
    merged_file.write_text(json.dumps(unav_way, indent=1), encoding="utf-8")
    added = {"database": {v: e for v, e in hand["database"].items() if v in UNAV_WAY_FROM_THE_START}}
    added_file = merged_file.with_name("realvideo_added.json")
    added_file.write_text(json.dumps(added, indent=1), encoding="utf-8")
    counts = {name: sum(len(e["annotations"]) for e in data["database"].values())
              for name, data in (("hand", hand), ("unav", unav_way))}
    print(f"\nReal-video set: {counts['hand']} events as annotated, {counts['unav']} with events of one class less "
          f"than {min_gap} s apart made one (UnAV-100's {PERCENTILE:g}st percentile gap)\n")
    print("| checkpoint | events | mAP@0.5 | avg | " + " | ".join(f"{c} @0.5 / avg" for c in SPEAKING) + " |")
    print("|---|---|---|---|" + "---|" * len(SPEAKING))
    for checkpoint in args.checkpoint:
        loaded = scoring_taxonomy(load_checkpoint(checkpoint), None, checkpoint.name)
        readings = (("as annotated", annotations), ("split as UnAV-100", merged_file),
                    ("the added talks alone", added_file))
        for name, path in readings:
            truth = load_ground_truth(path, "test")
            result = evaluate_checkpoint(loaded, dataset_for(loaded, path, args.real / "features", "test"), truth).named
            rows = {r["label"]: r for r in result.per_class()}
            people = " | ".join(f"{100 * rows[c]['AP@0.5']:.1f} / {100 * rows[c]['AP_avg']:.1f}" if c in rows
                                else "no event" for c in SPEAKING)
            summary = result.summary()
            print(f"| {checkpoint.name} | {name} | {100 * summary['mAP@0.5']:.1f} | {100 * summary['avg']:.1f} | "
                  f"{people} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
