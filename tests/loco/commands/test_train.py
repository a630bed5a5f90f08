"""``python -m loco train``: help, a one-epoch run on generated feature files, clear errors."""

from __future__ import annotations

import json

import pytest

from loco.cli import main
from loco.data.synthetic import write_synthetic_dataset
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
