"""Training and fine-tuning from the app: what a snapshot holds for a model, the recipe chosen for its size with a
time estimate, the ``python -m loco train`` command a background job runs, where its best checkpoint lands, and the
before/after table on the snapshot's validation videos that comes before activating the new model.

Fine-tuning keeps every class of the starting model and adds the snapshot's labels it lacks (``loco.train``,
docs/model.md §8); the recipe for a few videos was chosen on the benchmark's validation split
(experiments/learning_curve.py --choose-recipe; experiments/README.md, "Learning from corrections").
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from loco.checkpoint import LoadedModel, load_checkpoint, read_header
from loco.config import load_config
from loco.evaluate import REJECTED_KEY
from loco.grid import UNAV_GRID
from loco.io import atomic_write
from loco.paths import sub_dir
from loco.train import BEST_CHECKPOINT, METRICS_LOG
from storage import Store
from studio.errors import ServiceError
from studio.evaluation import evaluate_on_snapshot

COMPARISON_FILE = "before_after.json"  # beside the run's checkpoint: the table survives reloads
# CPU seconds per feature step of the data, measured here as process time of the compact model on one thread (so
# about the wall time of an otherwise idle machine): a training step over the whole model (2.3 s for 16 videos of
# about 130 steps), one over the heads alone (0.9 s: the trunk runs forward only), and validation (16.8 s for the
# 5,925 steps of the test split shipped then, the label prior on).
SECONDS_PER_STEP = {"all": 1.1e-3, "heads": 0.45e-3, "validation": 2.8e-3}
STARTUP_SECONDS = 20.0  # the training process: imports, the label prior's heads, the first feature files
# One intra-op thread for the training process: with the app and other jobs sharing two cores, a second thread per
# operation made a fine-tune's steps several times slower, never faster (studio/evaluation.py says the same of
# evaluation).
TRAINING_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class SnapshotContents:
    """What a snapshot holds for training a model: videos per split, the training videos' events per class, the
    labels the model lacks (a fine-tune adds them as classes), the rejected proposals, and the feature steps."""

    snapshot_id: int
    subsets: dict[str, int]
    events_per_class: dict[str, int]
    new_classes: list[str]
    n_rejected: int
    train_steps: int
    validation_steps: int

    @property
    def train_videos(self) -> int:
        return self.subsets.get("train", 0)


@dataclass(frozen=True)
class Recipe:
    """How a run trains: epochs, learning rate, frozen trunk or not, the distillation weight, and why; with
    ``distill_only_where_silent`` the start's classes learn from distillation alone where the user said nothing,
    with ``keep_start_regression`` the regression of the start's classes is kept as it is, with
    ``said_classes_only`` only the output rows of the classes the snapshot names are trained."""

    epochs: int
    lr: float
    freeze_trunk: bool
    distill_weight: float
    reason: str
    distill_only_where_silent: bool = False
    keep_start_regression: bool = False
    said_classes_only: bool = False

    @property
    def what_trains(self) -> str:
        if self.said_classes_only:
            return "only the output rows of the classes the snapshot names trained, the rest kept"
        if self.freeze_trunk:
            return "trunk frozen, heads trained" + (", the start's regression kept" if self.keep_start_regression else "")
        return "the whole model trained"

    @property
    def eval_every(self) -> int:
        """Validate (and keep the resume state) about ten times per run: many short epochs would spend their time
        there."""
        return max(self.epochs // 10, 1)

    def overrides(self) -> list[str]:
        switches = {"distill_only_where_silent": self.distill_only_where_silent,  # off by default: named when on
                    "keep_start_regression": self.keep_start_regression, "said_classes_only": self.said_classes_only}
        options = [f"train.{name}=true" for name, on in switches.items() if on]
        return [f"train.epochs={self.epochs}", f"train.lr={self.lr:g}", f"train.freeze_trunk={self.freeze_trunk}",
                f"train.distill_weight={self.distill_weight:g}", *options, f"train.eval_every={self.eval_every}",
                "train.warmup_epochs=1", "train.pad_to_max_seq_len=false"]

    def estimate_seconds(self, contents: SnapshotContents) -> float:
        """CPU seconds on an otherwise idle 2-core machine (a busy one takes longer)."""
        step = SECONDS_PER_STEP["heads" if self.freeze_trunk else "all"] * contents.train_steps
        validation = SECONDS_PER_STEP["validation"] * contents.validation_steps
        return STARTUP_SECONDS + self.epochs * step + math.ceil(self.epochs / self.eval_every) * validation


@dataclass(frozen=True)
class TrainingPlan:
    argv: list[str]
    output_dir: Path
    metrics_path: Path
    epochs: int
    env: dict[str, str]


def snapshot_contents(store: Store, snapshot_id: int, model_classes: list[str] | None = None) -> SnapshotContents:
    """What the snapshot holds; ``model_classes`` (the model to fine-tune) says which labels are new."""
    info = store.snapshot(snapshot_id)
    content = store.snapshot_annotations(snapshot_id)
    database = content["database"]
    events = Counter(a["label"] for v in database.values() if v["subset"] == "train" for a in v["annotations"])
    labels = dict.fromkeys(a["label"] for v in database.values() for a in v["annotations"])
    known = set(model_classes or [])
    steps = Counter()
    for entry in database.values():
        steps[entry["subset"]] += max(UNAV_GRID.num_steps(float(entry["duration"])), 1)
    return SnapshotContents(
        snapshot_id, dict(info.subsets), dict(sorted(events.items(), key=lambda kv: (-kv[1], kv[0]))),
        [name for name in labels if model_classes is not None and name not in known],
        sum(len(v) for v in content.get(REJECTED_KEY, {}).values()), steps["train"], steps["validation"])


def choose_recipe(contents: SnapshotContents, fine_tune: bool) -> Recipe:
    """The recipe for the data's size. From scratch: the default model's own (assets/models/MODEL_CARD.md). A
    fine-tune on a few videos trains only the output rows of the classes the snapshot names, for 120 short epochs
    (one batch each) at learning rate 3e-3, every other weight kept: of the candidates experiments/learning_curve.py
    --choose-recipe scored on the benchmark's validation split (3 videos of a new class), the one its rule picks, the
    best new class among those that keep the other classes within 2 points (training the heads lost 3.2 to 34 points
    of the other classes' mAP@0.5 there), and of the epoch rules --choose-epochs scored at 3 and 10 videos, 120
    whatever the number of videos (the former ceil(240 / videos), within 30-120, gave 10 videos only 30 steps); on
    many videos, the whole model at 2e-4 (not measured)."""
    videos = contents.train_videos
    if not fine_tune:
        return Recipe(24, 5e-4, False, 0.0, "from scratch: the default model's recipe")
    if videos <= 16:
        return Recipe(120, 3e-3, True, 1.0, f"{videos} training video(s)", said_classes_only=True)
    return Recipe(10, 2e-4, False, 1.0, f"{videos} training videos: the whole model")


def training_plan(store: Store, snapshot_id: int, config: str = "compact", recipe: Recipe | None = None,
                  init_checkpoint: Path | None = None, profile: str | None = None) -> TrainingPlan:
    """Export the snapshot (annotations + feature links) and build the ``python -m loco train`` command that trains
    (or, with ``init_checkpoint``, fine-tunes) on it with ``recipe`` (default :func:`choose_recipe`); its JSONL
    metrics log is what the page tails.

    Fine-tuning exports the features of the starting model's profile (its weights only fit those); labels the model
    lacks become new classes. ``profile`` defaults to "fast" from scratch."""
    classes = None
    if init_checkpoint is not None:
        header = read_header(init_checkpoint)
        if profile is not None and profile != header["profile"]:
            raise ServiceError(f"the model to fine-tune uses feature profile {header['profile']!r}, not {profile!r}")
        profile, classes = header["profile"], header["class_names"]
    contents = snapshot_contents(store, snapshot_id, classes)
    if not contents.train_videos:
        raise ServiceError(f"snapshot {snapshot_id} has no training videos")
    recipe = recipe or choose_recipe(contents, init_checkpoint is not None)
    if recipe.epochs < 1:
        raise ServiceError(f"epochs must be at least 1, got {recipe.epochs}")
    profile = profile or "fast"
    export_dir = store.export_snapshot(snapshot_id, sub_dir("snapshots") / str(snapshot_id), profile)
    output_dir = sub_dir("training") / f"{time.strftime('%Y%m%d-%H%M%S')}-snapshot{snapshot_id}"
    argv = [sys.executable, "-m", "loco", "train", "--config", config, "--output", str(output_dir),
            "--annotations", str(export_dir / "annotations.json"), "--features", str(export_dir / "features"),
            f"data.profile={profile}", *recipe.overrides()]
    if init_checkpoint is not None:
        argv[4:4] = ["--init", str(init_checkpoint)]
    if load_config(config).data.val_split not in contents.subsets:  # e.g. freshly detected videos, all "train"
        argv.append("--no-validation")
    return TrainingPlan(argv, output_dir, output_dir / METRICS_LOG, recipe.epochs, dict(TRAINING_ENV))


def best_checkpoint(output_dir: Path) -> Path | None:
    path = Path(output_dir) / BEST_CHECKPOINT
    return path if path.is_file() else None


@dataclass(frozen=True)
class ClassComparison:
    """One class of the before/after table: AP at tIoU 0.5 and averaged over 0.1:0.9 (None: the model before did
    not have the class)."""

    label: str
    ground_truth: int
    before_ap50: float | None
    after_ap50: float
    before_avg: float | None
    after_avg: float


@dataclass(frozen=True)
class Comparison:
    split: str
    videos: int
    before_map50: float
    after_map50: float
    rows: tuple[ClassComparison, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Comparison":
        return cls(**{**data, "rows": tuple(ClassComparison(**row) for row in data["rows"])})


def compare_models(store: Store, snapshot_id: int, before: LoadedModel, after: LoadedModel,
                   split: str = "validation") -> Comparison:
    """AP per class of the model before and after training on the snapshot's ``split`` videos (the same detections
    and scoring as Evaluate). A class the model before lacks has no AP before."""
    old, new = (evaluate_on_snapshot(store, snapshot_id, model, split) for model in (before, after))
    old_rows = {row["label"]: row for row in old.named.per_class()}
    rows = tuple(
        ClassComparison(row["label"], row["num_ground_truth"],
                        old_rows[row["label"]]["AP@0.5"] if row["label"] in before.class_names else None,
                        row["AP@0.5"],
                        old_rows[row["label"]]["AP_avg"] if row["label"] in before.class_names else None,
                        row["AP_avg"])
        for row in new.named.per_class())
    videos = store.snapshot(snapshot_id).subsets.get(split, 0)
    return Comparison(split, videos, old.named.map_at(0.5), new.named.map_at(0.5), rows)


def compare_run(store: Store, snapshot_id: int, before: Path, after: Path, output_dir: Path) -> Comparison:
    """:func:`compare_models` of two checkpoints, saved beside the run (the page shows it from there)."""
    comparison = compare_models(store, snapshot_id, load_checkpoint(before), load_checkpoint(after))
    save_comparison(output_dir, comparison)
    return comparison


def save_comparison(output_dir: Path, comparison: Comparison) -> Path:
    path = Path(output_dir) / COMPARISON_FILE
    with atomic_write(path, "w") as handle:
        json.dump(comparison.to_dict(), handle, indent=1)
    return path


def saved_comparison(output_dir: Path) -> Comparison | None:
    path = Path(output_dir) / COMPARISON_FILE
    return Comparison.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None
