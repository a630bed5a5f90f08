"""A model's mAP on a snapshot's split, exactly as the benchmark computes it (``loco.evaluate``), by class and
ignoring class (were the events found at all?)."""

from __future__ import annotations

from dataclasses import dataclass

from loco.checkpoint import LoadedModel
from loco.evaluate import EvaluationResult, Segment, class_agnostic, evaluate_detections, load_ground_truth
from loco.features.store import read_features
from loco.infer import predict_features
from loco.progress import Progress, silent
from storage import Store
from studio.errors import ServiceError


@dataclass(frozen=True)
class SnapshotEvaluation:
    named: EvaluationResult
    agnostic: EvaluationResult

    def to_dict(self) -> dict:
        return {**self.named.to_dict(), "agnostic_summary": self.agnostic.summary()}


def evaluate_on_snapshot(store: Store, snapshot_id: int, loaded: LoadedModel, split: str = "test",
                         progress: Progress = silent) -> SnapshotEvaluation:
    """Detect on the cached features of a snapshot's ``split`` videos and score the detections."""
    annotations = store.snapshot_annotations(snapshot_id)
    ground_truth = load_ground_truth(annotations, split)
    if not ground_truth.video_ids:
        raise ServiceError(f"snapshot {snapshot_id} has no {split!r} videos")
    paths = store.feature_paths(ground_truth.video_ids, loaded.profile)
    missing = [v for v in ground_truth.video_ids if v not in paths]
    if missing:
        raise ServiceError(f"{len(missing)} {split} video(s) have no {loaded.profile!r} features "
                           f"(detect them with a {loaded.profile!r} model first): {missing[:3]}")
    ids_by_name = ground_truth.label_ids_by_name
    predictions = []  # classes the snapshot lacks get id -1: they miss every named class, count when names do not
    for index, video_id in enumerate(ground_truth.video_ids):
        stored = read_features(paths[video_id])
        duration = annotations["database"][video_id]["duration"]
        for e in predict_features(loaded, stored.visual, stored.audio, duration).events:
            predictions.append(Segment(video_id, e.start, e.end, ids_by_name.get(e.label, -1), e.score))
        progress((index + 1) / len(ground_truth.video_ids), f"evaluated {index + 1} of {len(ground_truth.video_ids)}")
    return SnapshotEvaluation(evaluate_detections(ground_truth, predictions),
                              evaluate_detections(*class_agnostic(ground_truth, predictions)))
