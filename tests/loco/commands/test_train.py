"""``python -m loco train``: help, a one-epoch run on generated feature files, clear errors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.data.synthetic import class_names, write_synthetic_dataset
from loco.grid import UNAV_GRID
from tests.loco.commands.checkpoints import untrained_checkpoint
from tests.loco.test_train import TINY, TINY_SPEC


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "--annotations", "--features", "--format", "--output", "--no-resume", "--init",
                   "key=value", "torchrun"):
        assert option in text


def test_missing_inputs_are_one_clear_error(tmp_path, capsys):
    assert main(["train", "--annotations", str(tmp_path / "nope.json"), "--features", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["train", "model.nonexistent=1"]) == 2
    assert "unknown config key" in capsys.readouterr().err


@pytest.mark.slow
def test_one_epoch_run_writes_checkpoint_log_and_state(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"train": 8, "validation": 4}, TINY_SPEC)
    out = tmp_path / "run"
    argv = ["train", "--annotations", str(annotations), "--features", str(features), "--output", str(out),
            *TINY, "train.epochs=1"]
    assert main(argv) == 0
    assert "best checkpoint" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"best.safetensors", "last_state.pt", "metrics.jsonl", "config.yaml"}
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert record["epoch"] == 0 and "mAP@0.5" in record["val"]
    assert main(argv) == 0  # finished run: resuming does nothing and keeps the log
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1


def renumber_labels(annotation_file, offset: int) -> None:
    """Give the file's classes other ids (a snapshot export numbers them by the storage taxonomy)."""
    data = json.loads(annotation_file.read_text())
    for entry in data["database"].values():
        for event in entry["annotations"]:
            event["label_id"] = offset - event["label_id"]
    annotation_file.write_text(json.dumps(data))


@pytest.mark.slow
def test_fine_tuning_keeps_the_models_classes_and_maps_labels_by_name(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"train": 8, "validation": 4}, TINY_SPEC)
    renumber_labels(annotations, 100)  # class_k -> id 100 - k
    names = ["never annotated", *reversed(class_names(TINY_SPEC))]
    start = untrained_checkpoint(tmp_path / "start.safetensors", names)
    out = tmp_path / "run"
    assert main(["train", "--init", str(start), "--annotations", str(annotations), "--features", str(features),
                 "--output", str(out), "--config", "baseline", *TINY, "train.epochs=1",
                 "model.cdp.max_extent=6"]) == 0
    tuned = load_checkpoint(out / "best.safetensors")
    assert tuned.class_names == names and tuned.profile == "synthetic" and tuned.grid == UNAV_GRID
    # the starting architecture, not --config's, with the model override the command names
    assert tuned.config.model == replace(load_checkpoint(start).config.model,
                                         cdp=replace(load_checkpoint(start).config.model.cdp, max_extent=6.0))
    assert "validation" in capsys.readouterr().out


def test_a_fine_tune_refuses_a_model_override_its_start_weights_do_not_fit(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"train": 2}, TINY_SPEC)
    start = untrained_checkpoint(tmp_path / "start.safetensors")
    assert main(["train", "--init", str(start), "--annotations", str(annotations), "--features", str(features),
                 "--output", str(tmp_path / "run"), "--no-validation", *TINY, "train.epochs=1",
                 "model.embed_dim=16"]) == 2
    assert "starting weights do not fit this model" in capsys.readouterr().err
    assert not (tmp_path / "run" / "best.safetensors").exists()


@pytest.mark.slow
def test_fine_tuning_on_labels_the_model_lacks_adds_them_after_its_own_classes(tmp_path):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"train": 4}, TINY_SPEC)
    present = {a["label_id"]: a["label"] for v in json.loads(annotations.read_text())["database"].values()
               for a in v["annotations"]}
    known = ["something else", present[min(present)]]
    start = untrained_checkpoint(tmp_path / "start.safetensors", known)
    out = tmp_path / "run"
    assert main(["train", "--init", str(start), "--annotations", str(annotations), "--features", str(features),
                 "--output", str(out), "--no-validation", *TINY, "train.epochs=1", "train.freeze_trunk=true"]) == 0
    tuned, before = load_checkpoint(out / "best.safetensors"), load_checkpoint(start)
    added = [present[k] for k in sorted(present) if present[k] not in known]
    assert tuned.class_names == known + added and tuned.metadata["added_classes"] == added
    weights = tuned.model.state_dict()
    for name, tensor in before.model.state_dict().items():  # the frozen trunk, bit for bit
        if name.startswith(("visual_encoder.", "audio_encoder.", "lcc.", "pyramid.")):
            assert torch.equal(weights[name], tensor), name


@pytest.mark.slow
def test_training_from_scratch_on_sparse_ids_has_only_the_files_classes(tmp_path):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"train": 8, "validation": 4}, TINY_SPEC)
    renumber_labels(annotations, 100)  # class_k -> id 100 - k: sparse, in reverse order
    out = tmp_path / "run"
    assert main(["train", "--annotations", str(annotations), "--features", str(features), "--output", str(out),
                 *TINY, "train.epochs=1"]) == 0
    present = {a["label_id"]: a["label"] for v in json.loads(annotations.read_text())["database"].values()
               for a in v["annotations"]}
    trained = load_checkpoint(out / "best.safetensors")
    assert trained.class_names == [present[k] for k in sorted(present)]
    assert trained.config.model.num_classes == len(present)
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert "mAP@0.5" in record["val"]
