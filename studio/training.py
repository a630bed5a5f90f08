"""Training and fine-tuning from the app: a snapshot exported for ``python -m loco train``, the command that a
background job runs, and where its best checkpoint lands."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from loco.checkpoint import read_header
from loco.config import load_config
from loco.data.unav import dataset_classes
from loco.evaluate import class_table
from loco.paths import sub_dir
from loco.train import BEST_CHECKPOINT, METRICS_LOG
from storage import Store
from studio.errors import ServiceError


@dataclass(frozen=True)
class TrainingPlan:
    argv: list[str]
    output_dir: Path
    metrics_path: Path
    epochs: int


def training_plan(store: Store, snapshot_id: int, config: str = "compact", epochs: int = 10,
                  init_checkpoint: Path | None = None, profile: str | None = None) -> TrainingPlan:
    """Export the snapshot (annotations + feature links) and build the ``python -m loco train`` command that trains
    (or, with ``init_checkpoint``, fine-tunes) on it; its JSONL metrics log is what the page tails.

    Fine-tuning exports the features of the starting model's profile (its weights only fit those) and fails here,
    before any job starts, when the snapshot has classes the model does not know. ``profile`` defaults to "fast"
    from scratch."""
    if epochs < 1:
        raise ServiceError(f"epochs must be at least 1, got {epochs}")
    database = store.snapshot_annotations(snapshot_id)["database"]
    if init_checkpoint is not None:
        header = read_header(init_checkpoint)
        if profile is not None and profile != header["profile"]:
            raise ServiceError(f"the model to fine-tune uses feature profile {header['profile']!r}, not {profile!r}")
        profile = header["profile"]
        dataset_classes(class_table(database), header["class_names"])
    profile = profile or "fast"
    info = store.snapshot(snapshot_id)
    export_dir = store.export_snapshot(snapshot_id, sub_dir("snapshots") / str(snapshot_id), profile)
    output_dir = sub_dir("training") / f"{time.strftime('%Y%m%d-%H%M%S')}-snapshot{info.snapshot_id}"
    argv = [sys.executable, "-m", "loco", "train", "--config", config, "--output", str(output_dir),
            "--annotations", str(export_dir / "annotations.json"), "--features", str(export_dir / "features"),
            f"data.profile={profile}", f"train.epochs={int(epochs)}"]
    if init_checkpoint is not None:
        argv[4:4] = ["--init", str(init_checkpoint)]
    subsets = {v["subset"] for v in database.values()}
    if load_config(config).data.val_split not in subsets:  # e.g. freshly detected videos, all "train"
        argv.append("--no-validation")
    return TrainingPlan(argv, output_dir, output_dir / METRICS_LOG, int(epochs))


def best_checkpoint(output_dir: Path) -> Path | None:
    path = Path(output_dir) / BEST_CHECKPOINT
    return path if path.is_file() else None
