"""Platt scaling of the open-vocabulary head's two kinds of logits (``loco/calibration.py``): it recovers a known
logistic map, and refuses what it cannot fit."""

import numpy as np
import pytest

from loco.calibration import CalibrationError, fit_platt


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
    with pytest.raises(CalibrationError, match="both positive and negative"):
        fit_platt(np.array([0.1, 0.2]), np.array([False, False]))
    logits = np.linspace(-3, 3, 200)
    with pytest.raises(CalibrationError, match="do not rise"):
        fit_platt(logits, logits < 0)
