"""``python -m loco eval``: results files and checkpoints against UnAV-format annotations."""

from __future__ import annotations

import json

import pytest

from loco.checkpoint import save_checkpoint
from loco.cli import main
from loco.data.synthetic import write_synthetic_dataset
from loco.grid import UNAV_GRID
from loco.model import build_model
from tests.loco.test_train import TINY_SPEC, tiny_config


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    for option in ("--annotations", "--split", "--predictions", "--checkpoint", "--features", "--save-predictions", "--json"):
        assert option in text


def test_ground_truth_as_results_scores_100_and_errors_are_clear(tmp_path, capsys, unav_annotation_file):
    database = json.loads(unav_annotation_file.read_text())["database"]
    results = {vid: [{"segment": a["segment"], "label": a["label"], "score": 1.0} for a in v["annotations"]]
               for vid, v in database.items() if v["subset"] == "validation"}
    predictions = tmp_path / "results.json"
    predictions.write_text(json.dumps({"results": results}))
    assert main(["eval", "--annotations", str(unav_annotation_file), "--predictions", str(predictions),
                 "--split", "validation", "--json", str(tmp_path / "report.json")]) == 0
    assert "mAP@0.5 100.00" in capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["avg"] == 1.0 and len(report["per_class"]) == 100
    predictions.write_text('{"results": {"x": [{"segment": [0, 1], "label": "no such class", "score": 1}]}}')
    assert main(["eval", "--annotations", str(unav_annotation_file), "--predictions", str(predictions)]) == 2
    assert "unknown label" in capsys.readouterr().err


@pytest.mark.slow
def test_checkpoint_on_features_then_saved_results_give_the_same_numbers(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"test": 6}, TINY_SPEC)
    config = tiny_config("model.visual_dim=32", "model.audio_dim=24", "model.num_classes=4")
    checkpoint = save_checkpoint(tmp_path / "m.safetensors", build_model(config.model, seed=0), config,
                                 [f"class_{k}" for k in range(4)], "synthetic", UNAV_GRID)
    saved = tmp_path / "results.json"
    assert main(["eval", "--annotations", str(annotations), "--checkpoint", str(checkpoint), "--features",
                 str(features), "--save-predictions", str(saved), "--json", str(tmp_path / "a.json")]) == 0
    assert main(["eval", "--annotations", str(annotations), "--predictions", str(saved),
                 "--json", str(tmp_path / "b.json")]) == 0
    first, second = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert first["summary"] == second["summary"] and 0.0 <= first["summary"]["avg"] < 1.0
    assert main(["eval", "--annotations", str(annotations), "--checkpoint", str(checkpoint)]) == 2
    assert "--features" in capsys.readouterr().err
