"""A snapshot of split videos trains with validation by default; one of training videos only trains without it."""

from __future__ import annotations

import pytest

from storage import open_store
from studio.training import training_plan


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{tmp_path / 'loco.sqlite'}")
    for index in range(6):
        video_id = store.record_video(f"v{index}", 20.0)
        event = store.add_event(video_id, 1.0, 3.0, "dog barking")
        store.accept(event.event_id, event.rev_no)
    yield store
    store.close()


def test_a_snapshot_with_validation_videos_trains_with_validation(store):
    store.assign_random_split(seed=0)
    snapshot = store.create_snapshot("split", [f"v{i}" for i in range(6)])
    assert snapshot.subsets == {"train": 4, "validation": 1, "test": 1}
    assert "--no-validation" not in training_plan(store, snapshot.snapshot_id, epochs=1).argv


def test_a_snapshot_of_training_videos_only_trains_without(store):
    snapshot = store.create_snapshot("train only", [f"v{i}" for i in range(6)])
    assert snapshot.subsets == {"train": 6}
    assert "--no-validation" in training_plan(store, snapshot.snapshot_id, epochs=1).argv
