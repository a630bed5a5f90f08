"""Evaluating on a snapshot reads each video's cached features and extracts nothing, on one intra-op thread."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import loco.data.unav
import loco.features.extract
import studio.runs
from loco.checkpoint import load_checkpoint
from loco.features.store import FeatureMeta, read_features, write_features
from loco.grid import UNAV_GRID
from studio.evaluation import evaluate_on_snapshot
from tests.studio.test_training import checkpoint


def test_evaluating_a_two_video_snapshot_reads_the_cached_features_once_and_extracts_nothing(store, tmp_path,
                                                                                            monkeypatch):
    rng = np.random.default_rng(0)
    for video_id in ("short_a", "short_b"):
        store.record_video(video_id, 6.0)
        path = tmp_path / f"{video_id}.npz"
        write_features(path, rng.standard_normal((17, 1280)), rng.standard_normal((17, 1024)),
                       FeatureMeta("fast", UNAV_GRID, {}, 6.0, True, ""))
        store.record_feature_set(video_id, "fast", UNAV_GRID, str(path))
        event = store.add_event(video_id, 1.0, 3.0, "dog barking")
        store.accept(event.event_id, event.rev_no)
    snapshot = store.create_snapshot("two", ["short_a", "short_b"], splits={"short_a": "test", "short_b": "test"})
    loaded = load_checkpoint(checkpoint(tmp_path / "model.safetensors", ["dog barking", "rain"]))

    def refuse(*args, **kwargs):
        raise AssertionError("evaluation extracted features")

    monkeypatch.setattr(loco.features.extract, "extract_features", refuse)
    monkeypatch.setattr(studio.runs, "extract_features", refuse)
    reads = []

    def counted(path, *args, **kwargs):
        reads.append(path)
        return read_features(path, *args, **kwargs)

    monkeypatch.setattr(loco.data.unav, "read_features", counted)
    threads = torch.get_num_threads()
    result = evaluate_on_snapshot(store, snapshot.snapshot_id, loaded, "test")
    assert result.named.num_ground_truth == [2]
    # each video's file once, and the first once more: the model's feature dims are checked before running it
    assert sorted(str(p).rsplit("/", 1)[-1] for p in reads) == ["short_a.npz", "short_a.npz", "short_b.npz"]
    assert torch.get_num_threads() == threads  # the one-thread setting does not outlive the evaluation
