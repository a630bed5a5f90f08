"""``python -m loco naming``: how an open-vocabulary model names its classes without examples, chosen on a held-out
split or set with its reason, stored in a copy of the checkpoint."""

from __future__ import annotations

import json
import re

import pytest

from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.paths import ASSETS_DIR
from tests.loco.commands.checkpoints import untrained_checkpoint

SHIPPED = ASSETS_DIR / "models" / "loco_compact.safetensors"
FEATURES = ASSETS_DIR / "benchmark_test" / "features"
RENAMED = ("dog barking", "dog howling")  # a class the default has examples of -> one it has none of


def held_out(tmp_path, renamed: bool):
    """Twenty of the shipped test videos as a 'dev' subset; ``renamed``: one class's events under a taxonomy class
    the default model has no examples of, so the candidates differ."""
    database = json.loads((ASSETS_DIR / "benchmark_test" / "annotations.json").read_text())["database"]
    dev = {}
    for video_id, entry in sorted(database.items())[:20]:
        events = [{**a, "label": RENAMED[1]} if renamed and a["label"] == RENAMED[0] else a
                  for a in entry["annotations"]]
        dev[video_id] = {**entry, "subset": "dev", "annotations": events}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"database": dev}))
    return path


@pytest.mark.slow
def test_the_best_naming_on_dev_is_stored_in_a_copy(tmp_path, capsys):
    annotations = held_out(tmp_path, renamed=True)
    assert any(a["label"] == RENAMED[1] for e in json.loads(annotations.read_text())["database"].values()
               for a in e["annotations"])
    out = tmp_path / "named.safetensors"
    assert main(["naming", str(SHIPPED), "--annotations", str(annotations), "--features", str(FEATURES),
                 "--exponents", "1", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    averages = dict(re.findall(r"^(.+): average mAP ([\d.]+) \(classes without examples [\d.]+\)$", text, re.M))
    assert len(averages) == 1 + 2 * 3  # the open branch; two kinds of evidence x three numbers of classes
    best = re.search(r"best on dev: (.+)$", text, re.M).group(1)
    assert float(averages[best]) == max(float(v) for v in averages.values())
    named = load_checkpoint(out)
    choice = named.metadata["naming_choice"]
    assert choice["split"] == "dev" and set(choice["avg_by_candidate"]) == set(averages)
    assert named.config.postprocess.untrained_naming == choice["untrained_naming"]
    original = load_checkpoint(SHIPPED)
    assert named.config.model == original.config.model and named.class_names == original.class_names


def test_a_naming_is_set_with_its_reason_and_bad_requests_change_nothing(tmp_path, capsys):
    out = tmp_path / "named.safetensors"
    assert main(["naming", str(SHIPPED), "--use", "detections", "--exponent", "1", "--output", str(out)]) == 2
    assert "--reason" in capsys.readouterr().err and not out.exists()
    assert main(["naming", str(SHIPPED), "--use", "detections", "--exponent", "-1", "--reason", "r",
                 "--output", str(out)]) == 2
    assert "naming_exponent" in capsys.readouterr().err and not out.exists()
    assert main(["naming", str(SHIPPED), "--use", "detections", "--exponent", "2", "--streams", "audio_visual",
                 "--reason", "chosen elsewhere", "--output", str(out)]) == 0
    named = load_checkpoint(out).config.postprocess
    assert (named.untrained_naming, named.naming_exponent, named.naming_streams, named.naming_per_detection) == (
        "detections", 2.0, "audio_visual", 0)
    assert load_checkpoint(out).metadata["naming_choice"]["reason"] == "chosen elsewhere"


def test_test_splits_closed_models_and_splits_without_untrained_classes_are_refused(tmp_path, capsys):
    annotations = held_out(tmp_path, renamed=False)
    args = ["--annotations", str(annotations), "--features", str(FEATURES)]
    assert main(["naming", str(SHIPPED), *args, "--split", "test"]) == 2
    assert "other than test" in capsys.readouterr().err
    closed = untrained_checkpoint(tmp_path / "closed.safetensors")
    assert main(["naming", str(closed), *args]) == 2
    assert "only an open-vocabulary model" in capsys.readouterr().err
    # every class of this split has examples in the default model: the candidates cannot differ
    assert main(["naming", str(SHIPPED), *args]) == 2
    assert "no class the model has no examples of" in capsys.readouterr().err
