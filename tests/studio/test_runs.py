"""A detection run end to end through the app layer: the store indexes it, a second detection is a cache hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from loco.checkpoint import load_checkpoint, save_checkpoint
from loco.config import load_config
from loco.grid import UNAV_GRID
from loco.model import build_model
from storage import open_store
from storage.taxonomy import load_taxonomy_file
from studio import runs, uploads
from studio.runs import layer_of

pytestmark = pytest.mark.slow


def test_layers_of_events():
    assert layer_of("proposed", "model") == "prediction"
    assert layer_of("accepted", "import") == "ground truth"
    assert layer_of("accepted", "model") == "corrected"
    assert layer_of("edited", "import") == "corrected"
    assert layer_of("rejected", "model") == "rejected"


def test_the_detection_summary_says_what_passes_the_threshold_by_class(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'loco.sqlite'}")
    store.record_video("v", 20.0)
    store.record_inference_run("v", [{"label": "man speaking", "start": 0.0, "end": 1.0, "score": 0.01}])
    run_id = store.record_inference_run("v", [
        {"label": label, "start": start, "end": start + 1.0, "score": score}
        for label, start, score in (("dog barking", 1.0, 0.8), ("car passing by", 3.0, 0.3), ("dog barking", 5.0, 0.5),
                                    ("cat meowing", 7.0, 0.05), ("dog barking", 9.0, 0.02))])
    summary = runs.detection_summary(store, run_id, 0.1)
    assert (summary.found, summary.candidates) == (3, 5)  # the other run's event is not this one's
    assert summary.by_class == (("dog barking", 2), ("car passing by", 1))
    assert summary.sentence() == ("Found 3 events scoring 0.10 or more: dog barking ×2, car passing by ×1 "
                                  "(of 5 candidates).")
    assert runs.detection_summary(store, run_id, 0.1, top_k=1).by_class == (("dog barking", 1),)
    assert runs.detection_summary(store, run_id, 0.9).sentence().startswith("No event scores 0.90 or more")
    store.close()


def test_the_example_detected_once_then_found_in_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    config = load_config("compact")
    names = [c.name for c in load_taxonomy_file()]
    checkpoint = save_checkpoint(tmp_path / "untrained.safetensors", build_model(config.model, seed=0), config,
                                 names, "fast", UNAV_GRID)
    loaded = load_checkpoint(checkpoint)
    store = open_store()
    video = uploads.example_video()
    assert runs.cached_run(store, video.sha256, checkpoint, "fast") is None
    run = runs.detect(store, video, checkpoint, loaded, original_name="example.mp4")
    assert (run.video_id, run.profile, run.label_prior) == (video.sha256, "fast", 0.0)
    assert Path(run.internals_path).is_file() and Path(run.feature_path).is_file()
    assert run.media_path == str(video.path) and run.duration == pytest.approx(24.0, abs=0.1)
    assert run.num_events == sum(e.origin == "model" for e in store.current_events(video.sha256))
    assert sum(e.origin == "import" for e in store.current_events(video.sha256)) == 5  # its ground truth, once
    assert store.video(video.sha256).container.startswith("mov,mp4")
    messages = []
    again = runs.detect(store, video, checkpoint, loaded, progress=lambda f, m: messages.append(m))
    assert again == run and messages == ["already processed: loaded from the cache"]
    forced = runs.detect(store, video, checkpoint, loaded, force=True)
    assert forced.run_id != run.run_id and store.latest_run(video.sha256) == forced
    assert sum(e.origin == "import" for e in store.current_events(video.sha256)) == 5
    store.close()
