"""Copies the benchmark's test split (its annotations and `fast` feature files) into ``assets/benchmark_test/``, so the
shipped model can be re-evaluated in seconds without rebuilding any video (``tests/assets/test_default_model.py``),
and the split's plans from the build's ``build_info.json`` (where its distractors are, for
``experiments/review_queue.py``), without media paths or renderer settings.

    python experiments/ship_benchmark_test.py --annotations data/benchmark/annotations.json \
        --features data/benchmark/features --out assets/benchmark_test
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

PLAN_KEYS = ("video_id", "subset", "duration")
LAYER_KEYS = ("kind", "stamp", "start", "end", "label", "label_id")
NOTE = ("The {split} split's plans as the builder drew them (seed {seed}, {videos} videos), kept for the record of "
        "where the distractors are: layers of kind sound_only (a recording heard, its photo absent) and photo_only (a "
        "photo shown, silent), never annotated; its event layers are annotations.json's events. Stamps name the media "
        "(assets/dataset/LICENSES.md); media paths and renderer settings are left out.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    database = json.loads(args.annotations.read_text())["database"]
    kept = {video_id: entry for video_id, entry in database.items() if entry["subset"] == args.split}
    folder = args.out / "features"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for video_id in sorted(kept):
        shutil.copy(args.features / f"{video_id}.npz", folder / f"{video_id}.npz")
    (args.out / "annotations.json").write_text(json.dumps({"database": kept}, indent=1) + "\n")
    build = json.loads((args.annotations.parent / "build_info.json").read_text())
    plans = [{**{key: plan[key] for key in PLAN_KEYS}, "layers": [{key: layer[key] for key in LAYER_KEYS}
                                                                 for layer in plan["layers"]]}
             for plan in build["plans"] if plan["video_id"] in kept]
    record = {"note": NOTE.format(split=args.split, seed=build["seed"], videos=len(plans)), "seed": build["seed"],
              "plans": plans}
    (args.out / "build_info.json").write_text(json.dumps(record) + "\n")
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"{len(kept)} {args.split} videos, {size:.1f} MiB of features in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
