"""``python -m loco voice-pitch``: the width is chosen on a held-out split whose features carry the pitch, and stored
in a copy of the checkpoint."""

from __future__ import annotations

import re

import pytest

from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.features.store import read_features, write_features
from loco.paths import ASSETS_DIR
from tests.loco.commands.checkpoints import untrained_checkpoint

SHIPPED = ASSETS_DIR / "models" / "loco_compact.safetensors"
FEATURES = ASSETS_DIR / "benchmark_test" / "features"


@pytest.mark.slow
def test_the_best_width_is_stored_in_a_copy(tmp_path, held_out_annotations, capsys):
    out = tmp_path / "chosen.safetensors"
    assert main(["voice-pitch", str(SHIPPED), "--annotations", str(held_out_annotations), "--features",
                 str(FEATURES), "--widths", "0", "0.25", "--output", str(out)]) == 0
    lines = re.findall(r"width ([\d.]+): mAP@0.5 [\d.]+, average mAP ([\d.]+)", capsys.readouterr().out)
    averages = {float(width): float(average) for width, average in lines}
    assert sorted(averages) == [0.0, 0.25] and averages[0.0] != averages[0.25]  # the pitch changes the decoding
    chosen = load_checkpoint(out)
    assert chosen.config.postprocess.voice_pitch_width == max(averages, key=averages.get)
    record = chosen.metadata["voice_pitch_choice"]
    assert record["split"] == "dev" and set(record["avg_by_width"]) == {"0", "0.25"}
    assert chosen.config.model == load_checkpoint(SHIPPED).config.model


def test_test_split_features_without_the_pitch_and_models_without_speech_are_refused(tmp_path, held_out_annotations,
                                                                                      capsys):
    args = ["--annotations", str(held_out_annotations), "--features", str(FEATURES)]
    assert main(["voice-pitch", str(SHIPPED), *args, "--split", "test"]) == 2
    assert "other than test" in capsys.readouterr().err
    older = tmp_path / "older"  # the same files as extracted before the stream existed
    older.mkdir()
    for path in FEATURES.glob("*.npz"):
        stored = read_features(path)
        write_features(older / path.name, stored.visual, stored.audio, stored.meta, {"faces": stored.extras["faces"]})
    assert main(["voice-pitch", str(SHIPPED), "--annotations", str(held_out_annotations), "--features",
                 str(older)]) == 2
    assert "lack the voice-pitch stream" in capsys.readouterr().err
    other = untrained_checkpoint(tmp_path / "m.safetensors")
    assert main(["voice-pitch", str(other), *args]) == 2
    assert "changes nothing" in capsys.readouterr().err
