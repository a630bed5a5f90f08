"""The shipped default model: it scores the whole taxonomy, says how it was chosen, and re-evaluated on the shipped
test-split features it reproduces the README's and the model card's figures."""

import json
import re

import pytest

from loco.checkpoint import LABEL_SPACE_ONLY, TRAINED, load_checkpoint
from loco.cli import main
from loco.label_space import load_label_space, taxonomy_names
from loco.paths import ASSETS_DIR, REPO_ROOT

CHECKPOINT = ASSETS_DIR / "models" / "loco_compact.safetensors"
TEST_SPLIT = ASSETS_DIR / "benchmark_test"
NUMBER = r"(\d+(?:\.\d+)?)"
README_FIGURES = re.compile(rf"Shipped checkpoint on the test split: mAP@0\.5 {NUMBER}, average mAP {NUMBER}")
CARD_OWN_CLASSES_FIGURES = re.compile(  # the model card's row: mAP@0.5, four stricter tIoUs, the average
    rf"\| test, its {NUMBER} trained classes alone \(`--no-taxonomy`\) \| {NUMBER} \|(?: [\d.]+ \|){{4}} {NUMBER} \|")


def test_checkpoint_describes_itself():
    loaded = load_checkpoint(CHECKPOINT)
    shipped_test = json.loads((TEST_SPLIT / "annotations.json").read_text())["database"]  # its benchmark's classes
    assert {a["label"] for v in shipped_test.values() for a in v["annotations"]} <= set(loaded.class_names)
    assert loaded.profile == "fast" and loaded.grid.name == "unav"
    lcc = loaded.config.model.lcc
    assert lcc.enabled and loaded.config.model.cdp.mode == "adaptive"
    assert lcc.gate_input == "agreement" and lcc.event_gate_weight > 0  # the review queue reads its gates' doubt
    head = loaded.config.model.open_vocabulary
    assert head.enabled and head.closed_logits_alone and all(loaded.trained_classes().values())
    calibration = loaded.metadata["calibration_choice"]  # fitted on validation, never on test
    assert calibration["split"] == "validation"
    assert head.trained_calibration == [calibration["trained"]["scale"], calibration["trained"]["shift"]]
    assert head.untrained_calibration == [calibration["untrained"]["scale"], calibration["untrained"]["shift"]]
    choice = loaded.metadata["label_prior_choice"]  # the weight it decodes with was chosen on dev, not test
    assert choice["split"] == "dev" and loaded.config.postprocess.label_prior_weight == choice["weight"]
    # how it names the classes it has no examples of: chosen on the unseen-class protocol's dev split, and it says so
    naming, postprocess = loaded.metadata["naming_choice"], loaded.config.postprocess
    assert "dev split" in naming["reason"] and "test" not in naming["reason"]
    assert (postprocess.untrained_naming, postprocess.naming_exponent, postprocess.naming_streams,
            postprocess.naming_per_detection) == (naming["untrained_naming"], naming["naming_exponent"],
                                                  naming["naming_streams"], naming["naming_per_detection"])
    pitch = loaded.metadata["voice_pitch_choice"]  # how much the voice pitch weighs: chosen on dev too
    assert pitch["split"] == "dev" and postprocess.voice_pitch_width == pitch["width"] > 0


def test_it_scores_every_class_of_the_taxonomy_its_streams_perceive():
    loaded = load_checkpoint(CHECKPOINT)
    scoring = {s.name: s.how for s in loaded.class_scoring(taxonomy_names(), load_label_space())}
    assert {name for name, how in scoring.items() if how == TRAINED} == set(loaded.class_names)
    assert sum(how in (TRAINED, LABEL_SPACE_ONLY) for how in scoring.values()) >= 99  # of the 100
    why = {s.name: s.why for s in loaded.class_scoring(taxonomy_names(), load_label_space())}
    assert why["man speaking"].endswith("weighed by the voice's pitch (a low voice)")
    assert why["woman speaking"].endswith("(a high voice)") and "pitch" not in why["people laughing"]


def evaluate_shipped(tmp_path, *extra: str) -> dict:
    result_file = tmp_path / "eval.json"
    status = main(["eval", "--annotations", str(TEST_SPLIT / "annotations.json"), "--split", "test",
                   "--checkpoint", str(CHECKPOINT), "--features", str(TEST_SPLIT / "features"),
                   "--json", str(result_file), *extra])
    assert status == 0
    return json.loads(result_file.read_text())["summary"]


@pytest.mark.slow
def test_shipped_model_reproduces_the_readme_figures(tmp_path):
    summary = evaluate_shipped(tmp_path)
    figures = README_FIGURES.search((REPO_ROOT / "README.md").read_text())
    assert figures, "README.md lost the shipped checkpoint's figures"
    assert 100 * summary["mAP@0.5"] == pytest.approx(float(figures[1]), abs=0.5)
    assert 100 * summary["avg"] == pytest.approx(float(figures[2]), abs=0.5)


@pytest.mark.slow
def test_shipped_model_on_its_own_classes_reproduces_the_model_card_figures(tmp_path):
    figures = CARD_OWN_CLASSES_FIGURES.search((ASSETS_DIR / "models" / "MODEL_CARD.md").read_text())
    assert figures, "the model card lost the figures over the model's own classes"
    assert int(figures[1]) == len(load_checkpoint(CHECKPOINT).class_names)
    summary = evaluate_shipped(tmp_path, "--no-taxonomy")
    assert 100 * summary["mAP@0.5"] == pytest.approx(float(figures[2]), abs=0.5)
    assert 100 * summary["avg"] == pytest.approx(float(figures[3]), abs=0.5)
