"""A model's mAP on a snapshot's split, exactly as the benchmark computes it (``loco.evaluate``), by class and
ignoring class (were the events found at all?).

Evaluating reads each video's cached feature file once and runs the model on them: nothing is extracted again and
no encoder is loaded (the label prior's heads come from files the encoders converted once). It computes on one
intra-op thread: a compact model on a few videos does hundreds of small operations, and a second thread per
operation costs more in synchronisation than it saves, far more so in the app's server, where other sessions and
jobs share the cores (measured in the app's server, from the click to the table in Chromium: two 6 s videos took
107-170 s with two threads and 22-39 s with one, on a 2-core machine at a load average of 15-30; 0.8 s in a process of
its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from loco.checkpoint import LoadedModel
from loco.evaluate import Evaluation, load_ground_truth
from loco.infer import dataset_for, evaluate_checkpoint
from loco.progress import Progress, silent
from storage import Store
from studio.errors import ServiceError


@contextmanager
def one_intra_op_thread() -> Iterator[None]:
    """Run the block's torch operations on one thread, then restore the thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
    with one_intra_op_thread():
        dataset = dataset_for(loaded, annotations, paths, split)
        return evaluate_checkpoint(loaded, dataset, ground_truth, agnostic=True, progress=progress)
