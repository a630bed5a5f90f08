"""Copies the benchmark's test split (its annotations and `fast` feature files) into ``assets/benchmark_test/``, so the
shipped model can be re-evaluated in seconds without rebuilding any video (``tests/assets/test_default_model.py``).

    python experiments/ship_benchmark_test.py --annotations data/benchmark/annotations.json \
        --features data/benchmark/features --out assets/benchmark_test
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


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
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"{len(kept)} {args.split} videos, {size:.1f} MiB of features in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
