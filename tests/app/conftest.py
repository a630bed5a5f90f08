"""AppTest fixtures: every test gets its own data folder and SQLite database; the converted encoder weights, the
feature cache and a small untrained model are made once per session and linked in (no download, no real default
model needed: the pages must work with whatever checkpoint is in the data folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loco.checkpoint import load_checkpoint, save_checkpoint
from loco.config import load_config
from loco.features.registry import prepare_all
from loco.grid import UNAV_GRID
from loco.model import build_model
from storage import open_store
from storage.taxonomy import load_taxonomy_file
from studio import runs, uploads
from tests.conftest import ROOT
from tests.fixtures.media.make_media import event_clip

APP = str(ROOT / "app.py")
TIMEOUT = 90


def _with_data_dir(path: Path, action):
    before = os.environ.get("LOCO_DATA_DIR")
    os.environ["LOCO_DATA_DIR"] = str(path)
    try:
        return action()
    finally:
        if before is None:
            os.environ.pop("LOCO_DATA_DIR", None)
        else:
            os.environ["LOCO_DATA_DIR"] = before


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """Weights and feature cache shared by all app tests (prepared once)."""

    folder = tmp_path_factory.mktemp("app_shared")
    _with_data_dir(folder, prepare_all)
    (folder / "feature_cache").mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def untrained_checkpoint(shared_dir) -> Path:
    """A randomly initialised compact LoCo over the store's default taxonomy (for plumbing, not for accuracy)."""

    config = load_config("compact")
    names = [c.name for c in load_taxonomy_file()]
    path = shared_dir / "untrained_compact.safetensors"
    save_checkpoint(path, build_model(config.model, seed=0), config, names, "fast", UNAV_GRID, {"note": "untrained"})
    return path


@pytest.fixture(scope="session")
def clip(shared_dir) -> Path:
    """6 s of real street footage with a dog photo shown and its bark played from 2 to 4 s."""
    return event_clip(shared_dir / "dog_clip.mp4", "dog", 2.0, 4.0, 6.0)


@pytest.fixture
def data_dir(tmp_path, monkeypatch, shared_dir, untrained_checkpoint) -> Path:
    folder = tmp_path / "data"
    (folder / "models").mkdir(parents=True)
    (folder / "weights").symlink_to(shared_dir / "weights")
    (folder / "feature_cache").symlink_to(shared_dir / "feature_cache")
    (folder / "models" / "untrained.safetensors").symlink_to(untrained_checkpoint)
    monkeypatch.setenv("LOCO_DATA_DIR", str(folder))
    monkeypatch.delenv("LOCO_DATABASE_URL", raising=False)
    monkeypatch.setenv("LOCO_AUTHOR", "tester")
    return folder


@pytest.fixture
def processed(data_dir, clip):
    """The clip detected with the untrained model through the app layer (as the Detect page does)."""

    checkpoint = data_dir / "models" / "untrained.safetensors"
    store = open_store()
    with open(clip, "rb") as handle:
        video = uploads.spool_upload(handle)
    record = runs.detect(store, video, checkpoint, load_checkpoint(checkpoint), original_name="dog clip.mp4")
    store.close()
    return record


def app_test():
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def errors_of(at) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]
