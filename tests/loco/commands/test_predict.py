"""``python -m loco predict``: a feature file, a folder of them, and clear errors."""

from __future__ import annotations

import json

import pytest

from loco.cli import main
from loco.data.synthetic import write_synthetic_dataset
from loco.paths import ASSETS_DIR
from tests.loco.commands.checkpoints import untrained_checkpoint
from tests.loco.test_train import TINY_SPEC


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    for option in ("checkpoint", "input", "--output", "--threshold", "--profile", "--top", "--label-prior",
                   "video file"):
        assert option in text


@pytest.mark.slow
def test_feature_file_and_folder(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"test": 3}, TINY_SPEC)
    checkpoint = untrained_checkpoint(tmp_path / "m.safetensors")
    one = sorted(features.glob("*.npz"))[0]
    out = tmp_path / "one.json"
    assert main(["predict", str(checkpoint), str(one), "--output", str(out), "--threshold", "0.05"]) == 0
    results = json.loads(out.read_text())["results"]
    assert list(results) == [one.stem]
    duration = json.loads(annotations.read_text())["database"][one.stem]["duration"]
    for event in results[one.stem]:
        assert 0 <= event["segment"][0] < event["segment"][1] <= duration and event["score"] >= 0.05
        assert event["label"] == f"class_{event['label_id']}"
    assert main(["predict", str(checkpoint), str(features), "--output", str(tmp_path / "all.json")]) == 0
    assert len(json.loads((tmp_path / "all.json").read_text())["results"]) == 3
    assert one.stem in capsys.readouterr().out

    assert main(["predict", str(checkpoint), str(tmp_path / "missing.mp4")]) == 2
    assert main(["predict", str(checkpoint), str(tmp_path)]) == 2  # no .npz files
    other = untrained_checkpoint(tmp_path / "w.safetensors", visual_dim=16)
    assert main(["predict", str(other), str(one)]) == 2
    assert "re-extract" in capsys.readouterr().err
    assert main(["predict", str(checkpoint), str(one), "--label-prior", "0.5"]) == 2  # not fast-profile features
    assert "fast-profile" in capsys.readouterr().err


@pytest.mark.slow
def test_the_shipped_model_decodes_with_its_label_prior_unless_told_not_to(tmp_path):
    features = ASSETS_DIR / "benchmark_test" / "features"
    checkpoint = ASSETS_DIR / "models" / "loco_compact.safetensors"
    runs = {}
    for name, extra in (("plain", ["--label-prior", "0"]), ("prior", [])):
        assert main(["predict", str(checkpoint), str(features), "--output", str(tmp_path / f"{name}.json"), *extra]) == 0
        runs[name] = json.loads((tmp_path / f"{name}.json").read_text())["results"]
    assert runs["plain"].keys() == runs["prior"].keys() and len(runs["plain"]) >= 100
    top = {name: [events[0]["label"] for events in results.values() if events] for name, results in runs.items()}
    changed = sum(a != b for a, b in zip(top["plain"], top["prior"]))
    assert 0 < changed < len(top["plain"])  # the prior renames some videos' best event, not all
