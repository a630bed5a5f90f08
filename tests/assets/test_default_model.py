"""The shipped default model: re-evaluated on the shipped test-split features, it reproduces the README's figures."""

import json
import re

import pytest

from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.paths import ASSETS_DIR, REPO_ROOT

CHECKPOINT = ASSETS_DIR / "models" / "loco_compact.safetensors"
TEST_SPLIT = ASSETS_DIR / "benchmark_test"
NUMBER = r"(\d+(?:\.\d+)?)"
README_FIGURES = re.compile(rf"Shipped checkpoint on the test split: mAP@0\.5 {NUMBER}, average mAP {NUMBER}")
README_PRIOR_OFF_FIGURES = re.compile(
    rf"With the label prior off \(weight {NUMBER}\): mAP@0\.5 {NUMBER},\s+average\s+mAP {NUMBER}")


def test_checkpoint_describes_itself():
    loaded = load_checkpoint(CHECKPOINT)
    shipped_test = json.loads((TEST_SPLIT / "annotations.json").read_text())["database"]  # its benchmark's classes
    assert {a["label"] for v in shipped_test.values() for a in v["annotations"]} <= set(loaded.class_names)
    assert loaded.profile == "fast" and loaded.grid.name == "unav"
    assert loaded.config.model.lcc.enabled and loaded.config.model.cdp.mode == "adaptive"
    choice = loaded.metadata["label_prior_choice"]  # the weight it decodes with was chosen on dev, not test
    assert choice["split"] == "dev" and loaded.config.postprocess.label_prior_weight == choice["weight"] > 0


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
def test_shipped_model_without_its_label_prior_reproduces_the_readme_figures(tmp_path):
    figures = README_PRIOR_OFF_FIGURES.search((REPO_ROOT / "README.md").read_text())
    assert figures, "README.md lost the figures without the label prior"
    summary = evaluate_shipped(tmp_path, "--label-prior", figures[1])
    assert 100 * summary["mAP@0.5"] == pytest.approx(float(figures[2]), abs=0.5)
    assert 100 * summary["avg"] == pytest.approx(float(figures[3]), abs=0.5)
