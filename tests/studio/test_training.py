"""Training from a snapshot: validation by default where the snapshot has it, what the snapshot holds for the model,
labels the model lacks planned as new classes, the recipe by the data's size, and the before/after table."""

from __future__ import annotations

import numpy as np
import pytest

from loco.checkpoint import save_checkpoint
from loco.config import load_config
from loco.features.store import FeatureMeta, write_features
from loco.grid import UNAV_GRID
from loco.model import build_model
from studio.training import (
    Comparison, SnapshotContents, choose_recipe, compare_run, saved_comparison, snapshot_contents, training_plan,
)


@pytest.fixture
def store(store):
    """The conftest's store with this file's videos, each with one accepted event."""
    for index in range(6):
        video_id = store.record_video(f"v{index}", 20.0)
        event = store.add_event(video_id, 1.0, 3.0, "dog barking")
        store.accept(event.event_id, event.rev_no)
    return store


def checkpoint(path, names: list[str]):
    config = load_config("compact", [f"model.num_classes={len(names)}"])
    return save_checkpoint(path, build_model(config.model, seed=0), config, names, "fast", UNAV_GRID)


def test_a_snapshot_with_validation_videos_trains_with_validation(store):
    store.assign_random_split(seed=0)
    snapshot = store.create_snapshot("split", [f"v{i}" for i in range(6)])
    assert snapshot.subsets == {"train": 4, "validation": 1, "test": 1}
    assert "--no-validation" not in training_plan(store, snapshot.snapshot_id).argv


def test_a_snapshot_of_training_videos_only_trains_without(store):
    snapshot = store.create_snapshot("train only", [f"v{i}" for i in range(6)])
    assert snapshot.subsets == {"train": 6}
    assert "--no-validation" in training_plan(store, snapshot.snapshot_id).argv


def test_a_fine_tune_plans_the_labels_the_model_lacks_as_new_classes_with_a_recipe_for_few_videos(store, tmp_path):
    speaking = store.add_event("v0", 5.0, 9.0, "man speaking")
    store.accept(speaking.event_id, speaking.rev_no)
    proposal = store.add_event("v1", 4.0, 6.0, "dog barking")
    store.reject(proposal.event_id, proposal.rev_no)
    snapshot = store.create_snapshot("new class", [f"v{i}" for i in range(6)])
    start = checkpoint(tmp_path / "start.safetensors", ["dog barking", "rain"])

    contents = snapshot_contents(store, snapshot.snapshot_id, ["dog barking", "rain"])
    assert contents.new_classes == ["man speaking"] and contents.n_rejected == 1
    assert contents.events_per_class == {"dog barking": 6, "man speaking": 1} and contents.train_videos == 6
    recipe = choose_recipe(contents, fine_tune=True)
    assert recipe.freeze_trunk and recipe.distill_weight > 0 and 0 < recipe.estimate_seconds(contents) < 300

    plan = training_plan(store, snapshot.snapshot_id, init_checkpoint=start)  # not refused: the class is added
    assert plan.argv[plan.argv.index("--init") + 1] == str(start) and "train.freeze_trunk=True" in plan.argv
    assert "train.said_classes_only=true" in plan.argv  # the few-video recipe trains the named classes' rows only
    assert plan.env["OMP_NUM_THREADS"] == "1" and plan.epochs == recipe.epochs


def test_many_videos_fine_tune_the_whole_model_and_scratch_takes_the_default_recipe():
    many = SnapshotContents(1, {"train": 200, "validation": 20}, {}, [], 0, 200 * 130, 20 * 130)
    assert not choose_recipe(many, fine_tune=True).freeze_trunk
    assert choose_recipe(many, fine_tune=False).epochs == 24
    assert choose_recipe(many, fine_tune=True).estimate_seconds(many) > choose_recipe(
        SnapshotContents(1, {"train": 3}, {}, [], 0, 3 * 130, 0), fine_tune=True).estimate_seconds(many) / 10


def test_the_before_after_table_scores_both_models_on_the_validation_videos_by_class(store, tmp_path):
    rng = np.random.default_rng(0)
    for index in (4, 5):
        path = tmp_path / f"v{index}.npz"
        write_features(path, rng.standard_normal((62, 1280)), rng.standard_normal((62, 1024)),
                       FeatureMeta("fast", UNAV_GRID, {}, 20.0, True, ""))
        store.record_feature_set(f"v{index}", "fast", UNAV_GRID, str(path))
    speaking = store.add_event("v5", 5.0, 9.0, "man speaking")
    store.accept(speaking.event_id, speaking.rev_no)
    snapshot = store.create_snapshot("compare", [f"v{i}" for i in range(6)], splits={"v4": "validation",
                                                                                    "v5": "validation"})
    before = checkpoint(tmp_path / "before.safetensors", ["dog barking", "rain"])
    after = checkpoint(tmp_path / "after.safetensors", ["dog barking", "rain", "man speaking"])
    comparison = compare_run(store, snapshot.snapshot_id, before, after, tmp_path)
    assert comparison.videos == 2 and comparison.split == "validation"
    rows = {row.label: row for row in comparison.rows}
    assert set(rows) == {"dog barking", "man speaking"} and rows["dog barking"].ground_truth == 2
    assert rows["man speaking"].before_ap50 is None and rows["man speaking"].after_ap50 is not None  # a new class
    assert rows["dog barking"].before_ap50 is not None
    assert saved_comparison(tmp_path) == comparison == Comparison.from_dict(comparison.to_dict())
