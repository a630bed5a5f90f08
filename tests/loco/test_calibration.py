"""The open-vocabulary head's score calibration (``loco/calibration.py``, ``python -m loco calibrate``): Platt scaling
recovers a known logistic map and refuses what it cannot fit, a detection is right by the benchmark's rule, and the
command writes a calibrated copy of the shipped model from a held-out split (never test)."""

import json
import re

import numpy as np
import pytest

from loco.calibration import CalibrationError, calibrate, fit_platt, right_detections
from loco.checkpoint import load_checkpoint
from loco.cli import main
from loco.evaluate import Segment
from loco.paths import ASSETS_DIR
from tests.loco.commands.checkpoints import untrained_checkpoint

SHIPPED_MODEL = ASSETS_DIR / "models" / "loco_compact.safetensors"
SHIPPED_TEST = ASSETS_DIR / "benchmark_test"


def test_it_recovers_the_map_that_made_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 2.0, 40_000)
    positive = rng.random(logits.size) < 1 / (1 + np.exp(-(2.0 * logits - 1.0)))
    fit = fit_platt(logits, positive)
    assert fit.scale == pytest.approx(2.0, abs=0.1) and fit.shift == pytest.approx(-1.0, abs=0.1)
    assert (fit.points, fit.positives) == (logits.size, int(positive.sum()))
    assert fit.log_loss_after < fit.log_loss_before


def test_logits_already_calibrated_keep_the_identity():
    rng = np.random.default_rng(1)
    logits = rng.normal(-2.0, 1.5, 40_000)
    fit = fit_platt(logits, rng.random(logits.size) < 1 / (1 + np.exp(-logits)))
    assert fit.scale == pytest.approx(1.0, abs=0.06) and fit.shift == pytest.approx(0.0, abs=0.1)
    assert fit.log_loss_after == pytest.approx(fit.log_loss_before, abs=1e-3)


def test_it_refuses_a_split_without_positives_or_logits_that_fall_with_them():
    with pytest.raises(CalibrationError, match="both right and wrong"):
        fit_platt(np.array([0.1, 0.2]), np.array([False, False]))
    logits = np.linspace(-3, 3, 200)
    with pytest.raises(CalibrationError, match="do not rise"):
        fit_platt(logits, logits < 0)


def test_a_detection_is_right_when_it_overlaps_an_event_of_its_class_at_half_or_more():
    truth = [Segment("v", 2.0, 6.0, 1), Segment("v", 10.0, 12.0, 2), Segment("w", 0.0, 4.0, 1)]
    predictions = [Segment("v", 3.0, 6.0, 1, 0.5),  # IoU 0.75
                   Segment("v", 4.0, 8.0, 1, 0.8),  # IoU 2 / 6: too little
                   Segment("v", 10.0, 12.0, 1, 0.2),  # the right span, another class
                   Segment("x", 0.0, 4.0, 1, 1.0)]  # a video without events; a score of 1 is clipped
    logits, right = right_detections(predictions, truth)
    assert right.tolist() == [True, False, False, False]
    assert logits[:3] == pytest.approx([0.0, np.log(4.0), -np.log(4.0)])
    assert np.isfinite(logits[3]) and logits[3] > 10


@pytest.mark.slow
def test_calibrate_writes_a_copy_whose_scores_are_the_fitted_maps_and_refuses_test(tmp_path, capsys):
    database = json.loads((SHIPPED_TEST / "annotations.json").read_text())["database"]
    held_out = {video_id: {**entry, "subset": "validation"} for video_id, entry in sorted(database.items())[:24]}
    annotations = tmp_path / "validation.json"
    annotations.write_text(json.dumps({"database": held_out}))
    out = tmp_path / "calibrated.safetensors"
    arguments = ["calibrate", str(SHIPPED_MODEL), "--annotations", str(annotations), "--features",
                 str(SHIPPED_TEST / "features")]
    assert main([*arguments, "--output", str(out)]) == 0
    printed = re.findall(r"scale ([\d.]+), shift ([-+][\d.]+) \((\d+) right of (\d+) detections",
                         capsys.readouterr().out)
    assert len(printed) == 2 and all(0 < int(right) < int(total) for _, _, right, total in printed)
    calibrated = load_checkpoint(out)
    head = calibrated.config.model.open_vocabulary
    record = calibrated.metadata["calibration_choice"]
    assert record["split"] == "validation" and record["annotation_file"] == "validation.json"
    assert head.trained_calibration == [record["trained"]["scale"], record["trained"]["shift"]]
    assert head.trained_calibration == pytest.approx([float(printed[0][0]), float(printed[0][1])], abs=1e-4)
    assert main([*arguments[:3], str(SHIPPED_TEST / "annotations.json"), *arguments[4:], "--split", "test"]) == 2


def test_a_closed_set_model_has_nothing_to_calibrate(tmp_path):
    loaded = load_checkpoint(untrained_checkpoint(tmp_path / "closed.safetensors"))
    with pytest.raises(CalibrationError, match="only an open-vocabulary model"):
        calibrate(loaded, dataset=None)
