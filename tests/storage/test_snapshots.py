from __future__ import annotations

import json

import numpy as np
import pytest

from loco.grid import UNAV_GRID
from loco.evaluate import REJECTED_KEY
from storage import ValidationError


def test_snapshot_freezes_training_events_and_exports_a_unav_dataset(store, video, tmp_path):
    store.record_video("vid_b", duration=20.0, subset="validation")
    kept = store.add_event(video, 1.0, 3.0, "dog barking")
    store.record_inference_run(video, [{"label": "man speaking", "start": 4.0, "end": 8.0, "score": 0.3}])
    rejected = store.add_event("vid_b", 2.0, 6.0, "cat meowing")
    store.reject(rejected.event_id, rejected.rev_no)
    features = tmp_path / "cache" / "vid_a.npz"
    features.parent.mkdir()
    np.savez(features, visual=np.zeros((5, 4), np.float16), audio=np.zeros((5, 2), np.float16))
    store.record_feature_set(video, "fast", UNAV_GRID, str(features))

    snapshot = store.create_snapshot("first", [video, "vid_b"], splits={video: "train"}, author="trainer")
    assert (snapshot.n_videos, snapshot.n_events, snapshot.class_histogram) == (2, 1, {"dog barking": 1})
    store.move(kept.event_id, kept.rev_no, end=9.0)  # later edits and renames do not leak into the snapshot
    store.rename_class("dog barking", "dog barks")
    frozen = store.snapshot_annotations(snapshot.snapshot_id)["database"]
    assert frozen[video] == {"subset": "train", "duration": 30.0, "annotations": [
        {"segment": [1.0, 3.0], "label": "dog barking", "label_id": store.class_names().index("dog barks")}]}
    assert frozen["vid_b"] == {"subset": "validation", "duration": 20.0, "annotations": []}

    out = store.export_snapshot(snapshot.snapshot_id, tmp_path / "dataset")
    assert json.loads((out / "annotations.json").read_text())["database"] == frozen
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["missing_features"] == ["vid_b"] and manifest["classes"][52] == store.class_names()[52]
    assert set(np.load(out / manifest["feature_dir"] / "vid_a.npz")) == {"visual", "audio"}
    with pytest.raises(ValidationError, match="immutable"):
        store.create_snapshot("first", [video])
    assert [s.name for s in store.list_snapshots()] == ["first"]


def test_the_database_itself_refuses_to_change_history_and_snapshots(store, video):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    event = store.add_event(video, 1.0, 3.0, "dog barking")
    store.move(event.event_id, event.rev_no, end=4.0)
    snapshot = store.create_snapshot("frozen", [video])
    before = store.snapshot_annotations(snapshot.snapshot_id)
    statements = [
        "UPDATE event_revision SET start_s = 0",
        "DELETE FROM event_revision",
        "UPDATE snapshot SET name = 'renamed'",
        "UPDATE snapshot SET annotations_sha256 = ''",
        "DELETE FROM snapshot_item",
        "UPDATE snapshot_item SET label = 'other'",
        "DELETE FROM snapshot_video",
    ]
    for statement in statements:  # a SQL shell or a script gets the same answer as the API
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    assert store.snapshot_annotations(snapshot.snapshot_id) == before
    assert store.snapshot(snapshot.snapshot_id).name == "frozen"
    assert [r.start for r in store.history(event.event_id)] == [1.0, 1.0]


def test_a_snapshot_freezes_the_rejected_proposals_beside_the_unav_database(store, video, tmp_path):
    before = store.create_snapshot("without", [video])
    store.record_inference_run(video, [{"label": "man speaking", "start": 4.0, "end": 8.0, "score": 0.3},
                                       {"label": "dog barking", "start": 1.0, "end": 2.0, "score": 0.9}])
    proposals = {e.label: e for e in store.current_events(video)}
    store.reject(proposals["dog barking"].event_id, proposals["dog barking"].rev_no)
    store.accept(proposals["man speaking"].event_id, proposals["man speaking"].rev_no)
    snapshot = store.create_snapshot("with", [video])
    assert (snapshot.n_events, snapshot.n_rejected, before.n_rejected) == (1, 1, 0)
    content = store.snapshot_annotations(snapshot.snapshot_id)
    label_id = store.class_names().index("dog barking")
    assert content[REJECTED_KEY] == {video: [{"segment": [1.0, 2.0], "label": "dog barking", "label_id": label_id,
                                              "score": 0.9}]}
    assert [a["label"] for a in content["database"][video]["annotations"]] == ["man speaking"]
    assert REJECTED_KEY not in store.snapshot_annotations(before.snapshot_id)  # standard UnAV JSON, as before
    store.accept(proposals["dog barking"].event_id, store.event(proposals["dog barking"].event_id).rev_no)
    assert store.snapshot_annotations(snapshot.snapshot_id) == content  # frozen
    out = store.export_snapshot(snapshot.snapshot_id, tmp_path / "dataset")
    assert json.loads((out / "annotations.json").read_text()) == content
    assert json.loads((out / "manifest.json").read_text())["n_rejected"] == 1
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM snapshot_rejection")
