"""Models, the active model and runs: the database is the only index the app reads them from."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from loco.grid import UNAV_GRID
from storage import NotFoundError, ValidationError, open_store
from storage.engine import make_engine, migrate

EVENT = {"label": "dog barking", "start": 0.0, "end": 30.0, "score": 0.8}


def test_inference_run_stores_proposals_from_a_model(store, video):
    model_id = store.record_model("loco-compact-1", checkpoint_sha256="ab" * 32, metrics={"avg": 0.5})
    assert model_id > 0
    run_id = store.record_inference_run(video, [{"label": "dog barking", "start": 0.0, "end": 30.0, "score": 0.8}],
                                        model_version="loco-compact-1")
    (event,) = store.current_events(video)
    assert (event.origin, event.state, event.score) == ("model", "proposed", 0.8)
    assert run_id > 0
    with pytest.raises(NotFoundError, match="no model version"):
        store.record_inference_run(video, [], model_version="missing")
    with pytest.raises(ValidationError, match="duration"):
        store.record_inference_run(video, [{"label": "dog barking", "start": 0.0, "end": 31.0, "score": 0.8}])
    assert len(store.current_events(video)) == 1


def test_a_model_version_is_recorded_once(store):
    store.record_model("m-1", checkpoint_path="/m1.safetensors", checkpoint_sha256="ab" * 32)
    with pytest.raises(ValidationError, match="already recorded"):
        store.record_model("m-1")
    with pytest.raises(ValidationError, match="1 to 200"):
        store.record_model("")
    assert [m.version for m in store.models()] == ["m-1"]
    assert store.model("m-1").checkpoint_sha256 == "ab" * 32
    with pytest.raises(NotFoundError):
        store.model("m-2")


def test_the_active_model_is_the_newest_activation(store):
    assert store.active_model() is None
    store.record_model("m-1")
    store.record_model("m-2")
    store.activate_model("m-2", author="ann")
    store.activate_model("m-1", author="bob")
    assert store.active_model().version == "m-1"
    store.activate_model("m-2")
    assert store.active_model().version == "m-2"
    with pytest.raises(NotFoundError, match="record it first"):
        store.activate_model("never-recorded")
    assert store.active_model().version == "m-2"


def test_runs_are_found_by_model_profile_and_label_prior(store, video):
    store.record_model("m-1", checkpoint_path="/m1.safetensors", checkpoint_sha256="aa" * 32)
    store.record_model("m-2", checkpoint_sha256="bb" * 32)
    store.record_feature_set(video, "fast", UNAV_GRID, "/features/fast.npz")
    first = store.record_inference_run(video, [EVENT], model_version="m-1", profile="fast", label_prior=0.25,
                                       internals_path="/runs/1.npz")
    second = store.record_inference_run(video, [EVENT, EVENT], model_version="m-2", profile="fast")
    assert store.latest_run(video).run_id == second
    (run,) = store.runs(video, checkpoint_sha256="aa" * 32, profile="fast", label_prior=0.25)
    assert (run.run_id, run.model_version, run.checkpoint_path, run.internals_path, run.num_events) == (
        first, "m-1", "/m1.safetensors", "/runs/1.npz", 1)
    assert (run.feature_path, run.duration, run.fps, run.label_prior) == ("/features/fast.npz", 30.0, 25.0, 0.25)
    assert store.runs(video, checkpoint_sha256="aa" * 32, label_prior=0.0) == []
    assert store.runs(video, profile="i3d") == []
    assert store.latest_run("no-such-video") is None


def test_runs_recorded_before_the_columns_existed_are_backfilled(store_url):
    engine = make_engine(store_url)
    migrate(engine, "0003")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO author (id, name) VALUES (1, 'old')"))
        connection.execute(text("INSERT INTO video (id, duration_s, created_by, created_at) "
                                "VALUES ('v', 10.0, 1, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO inference_run (video_id, params, status, created_by) VALUES "
            "('v', '{\"profile\": \"fast\", \"postprocess\": {\"label_prior_weight\": 0.25}}', 'done', 1)"))
    engine.dispose()
    store = open_store(store_url)
    (run,) = store.runs("v")
    assert (run.profile, run.label_prior, run.num_events) == ("fast", 0.25, 0)
    store.close()
