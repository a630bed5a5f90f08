"""A model's mAP on a snapshot's split, exactly as the benchmark computes it (``loco.evaluate``), by class and
ignoring class (were the events found at all?)."""

from __future__ import annotations

from loco.checkpoint import LoadedModel
from loco.evaluate import Evaluation, load_ground_truth
from loco.infer import dataset_for, evaluate_checkpoint
from loco.progress import Progress, silent
from storage import Store
from studio.errors import ServiceError


def evaluate_on_snapshot(store: Store, snapshot_id: int, loaded: LoadedModel, split: str = "test",
                         progress: Progress = silent) -> Evaluation:
    """Detect on the cached features of a snapshot's ``split`` videos and score the detections by class and ignoring
    class (:func:`loco.infer.evaluate_checkpoint`, the CLI's and training's evaluation too)."""
    annotations = store.snapshot_annotations(snapshot_id)
    ground_truth = load_ground_truth(annotations, split)
    if not ground_truth.video_ids:
        raise ServiceError(f"snapshot {snapshot_id} has no {split!r} videos")
    paths = store.feature_paths(ground_truth.video_ids, loaded.profile)
    missing = [v for v in ground_truth.video_ids if v not in paths]
    if missing:
        raise ServiceError(f"{len(missing)} {split} video(s) have no {loaded.profile!r} features "
                           f"(detect them with a {loaded.profile!r} model first): {missing[:3]}")
    dataset = dataset_for(loaded, annotations, paths, split)
    return evaluate_checkpoint(loaded, dataset, ground_truth, agnostic=True, progress=progress)
