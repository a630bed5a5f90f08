"""``python -m loco label-prior``: the weight is chosen on a held-out split and stored in a copy of the checkpoint."""

from __future__ import annotations

import re

import pytest

from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.paths import ASSETS_DIR
from tests.loco.commands.checkpoints import untrained_checkpoint

SHIPPED = ASSETS_DIR / "models" / "loco_compact.safetensors"
FEATURES = ASSETS_DIR / "benchmark_test" / "features"


@pytest.mark.slow
def test_the_best_weight_is_stored_in_a_copy(tmp_path, held_out_annotations, capsys):
    out = tmp_path / "chosen.safetensors"
    assert main(["label-prior", str(SHIPPED), "--annotations", str(held_out_annotations), "--features",
                 str(FEATURES), "--weights", "0", "0.5", "1", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    lines = re.findall(r"weight ([\d.]+): mAP@0.5 [\d.]+, average mAP ([\d.]+)", text)
    averages = {float(weight): float(average) for weight, average in lines}
    assert sorted(averages) == [0.0, 0.5, 1.0]
    best = max(averages, key=averages.get)
    chosen = load_checkpoint(out)
    assert chosen.config.postprocess.label_prior_weight == best
    assert chosen.metadata["label_prior_choice"]["split"] == "dev"
    assert set(chosen.metadata["label_prior_choice"]["avg_by_weight"]) == {"0", "0.5", "1"}
    original = load_checkpoint(SHIPPED)
    assert chosen.config.model == original.config.model and chosen.class_names == original.class_names


def test_test_split_and_non_fast_models_are_refused(tmp_path, held_out_annotations, capsys):
    args = ["--annotations", str(held_out_annotations), "--features", str(FEATURES)]
    assert main(["label-prior", str(SHIPPED), *args, "--split", "test"]) == 2
    assert "other than test" in capsys.readouterr().err
    other = untrained_checkpoint(tmp_path / "m.safetensors")
    assert main(["label-prior", str(other), *args, "--weights", "0.5"]) == 2
    assert "fast" in capsys.readouterr().err
