"""Available models and the active one: recorded in the store, found by version."""

from pathlib import Path

import pytest

from loco.checkpoint import save_checkpoint
from loco.config import load_config
from loco.grid import UNAV_GRID
from loco.model import build_model
from studio import models
from studio.errors import ServiceError


def untrained(path: Path, class_names: list[str]) -> Path:
    config = load_config("compact", [f"model.num_classes={len(class_names)}"])
    return save_checkpoint(path, build_model(config.model, seed=0), config, class_names, "fast", UNAV_GRID)


def test_checkpoints_in_the_models_folder_are_recorded_and_can_be_activated(store, tmp_path):
    (tmp_path / "models").mkdir()
    mine = untrained(tmp_path / "models" / "mine.safetensors", ["dog barking", "a class of my own"])
    (tmp_path / "models" / "broken.safetensors").write_bytes(b"not a checkpoint")
    entries = models.available_models(store)
    assert mine in [e.path for e in entries] and "broken" not in [e.name for e in entries]
    assert models.model_version(mine).startswith("mine-")
    assert models.model_version(mine) in [m.version for m in store.models()]
    assert "a class of my own" in store.class_names()  # its predictions can be stored
    models.set_active_model(store, mine)
    assert store.active_model().version == models.model_version(mine)
    assert models.active_model_path(store, entries) == mine
    with pytest.raises(ServiceError):
        models.set_active_model(store, tmp_path / "missing.safetensors")
    with pytest.raises(ServiceError, match="exists"):
        models.copy_into_models(mine, "mine")


def test_without_an_activation_the_first_model_is_active(store, tmp_path):
    entries = models.available_models(store)
    expected = entries[0].path if entries else None
    assert models.active_model_path(store, entries) == expected


def test_a_registered_model_is_kept_under_a_safe_name_and_becomes_active(store, tmp_path):
    trained = untrained(tmp_path / "best.safetensors", ["dog barking"])
    kept = models.register_trained_model(store, trained, "../../my model", snapshot_id=None)
    assert kept.parent == tmp_path / "models" and kept.name == "_.._my_model.safetensors"
    assert store.active_model().version == models.model_version(kept)
