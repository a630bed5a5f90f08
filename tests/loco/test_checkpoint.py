import json

import pytest
import safetensors
import torch

from loco.checkpoint import CheckpointError, FeatureMismatchError, load_checkpoint, read_header, save_checkpoint
from loco.config import Config
from loco.grid import ONE_PEACE_GRID
from loco.model import build_model
from tests.loco.model.conftest import random_inputs, tiny_config


@pytest.fixture()
def saved(tmp_path):
    config = Config(model=tiny_config())
    model = build_model(config.model, seed=5).eval()
    model.loss_normaliser.value.fill_(42.0)
    names = [f"class {i}" for i in range(config.model.num_classes)]
    path = save_checkpoint(
        tmp_path / "model.safetensors", model, config, names, "fast", ONE_PEACE_GRID,
        {"trained_on": "snapshot 3"}, {"average_map": 12.5},
    )
    return path, model, config, names


def test_round_trip_gives_identical_outputs_and_header(saved):
    path, model, config, names = saved
    loaded = load_checkpoint(path)
    assert not loaded.model.training
    assert loaded.config == config and loaded.class_names == names and loaded.profile == "fast"
    assert loaded.grid == ONE_PEACE_GRID
    assert loaded.metadata == {"trained_on": "snapshot 3"} and loaded.metrics == {"average_map": 12.5}
    assert float(loaded.model.loss_normaliser.value) == 42.0
    visual, audio, mask = random_inputs(config.model, [33])
    with torch.no_grad():
        expected, actual = model(visual, audio, mask), loaded.model(visual, audio, mask)
    for a, b in zip(expected.cls_logits + expected.reg_offsets, actual.cls_logits + actual.reg_offsets):
        assert torch.equal(a, b)


def test_one_file_with_json_header_and_no_leftovers(saved):
    path, *_ = saved
    assert [p.name for p in path.parent.iterdir()] == ["model.safetensors"]
    with safetensors.safe_open(str(path), framework="pt") as handle:
        header = json.loads(handle.metadata()["loco"])
    assert header["profile"] == "fast" and header["grid"]["name"] == "one_peace"
    assert read_header(path)["class_names"][0] == "class 0"


def test_feature_mismatch_is_a_clear_error(saved):
    loaded = load_checkpoint(saved[0])
    loaded.check_features(24, 16, "fast")
    with pytest.raises(FeatureMismatchError, match="24/16"):
        loaded.check_features(1280, 16, "fast")
    with pytest.raises(FeatureMismatchError, match="profile 'quality'"):
        loaded.check_features(24, 16, "quality")


def test_not_a_checkpoint(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        load_checkpoint(junk)
    plain = tmp_path / "plain.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(CheckpointError, match="without a LoCo header"):
        load_checkpoint(plain)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_failed_write_keeps_the_old_file(saved, monkeypatch):
    path, model, config, names = saved
    before = path.read_bytes()
    with pytest.raises(ValueError, match="class names"):
        save_checkpoint(path, model, config, names[:2], "fast", ONE_PEACE_GRID)
    assert path.read_bytes() == before
