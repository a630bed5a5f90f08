"""The open-vocabulary head's score calibration (ours, not LoCo's; ``python -m loco calibrate``, docs/model.md §7).

An open-vocabulary model scores a class with training examples by its learnt logit and a class without by the open
branch alone (label-space evidence and the class-agnostic "heard and seen" logit). Both are trained by the same focal
loss, yet they are not on one scale: the learnt logits are sharper, so in one video's detections they outrank every
class named by its labels alone, and a threshold that suits one kind hides or floods the other. Calibration maps each
kind to the same probability, that of a point being a positive of its class (the training targets of
``loco.model.assignment``), by Platt scaling fitted on a held-out split:

- the classes with examples: their logits as the model scores them (calibration reset to the identity);
- the classes without: the open logits of the same classes, what each would score had it no examples, the only
  classes of the split that can stand in for them (the open branch was trained on these classes, so its fit may be
  somewhat kinder than it is to classes never seen).

Each map is increasing, so it changes no class's ranking of its own detections, only how the two kinds compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from loco.checkpoint import LoadedModel
from loco.data.unav import VideoFeatureDataset, collate_videos
from loco.infer import label_prior_of, pad_multiple
from loco.label_prior import batch_evidence
from loco.model import SegmentTargets
from loco.model.assignment import assign_targets

IDENTITY = (1.0, 0.0)


class CalibrationError(ValueError):
    """A model or split the calibration cannot be fitted on."""


@dataclass(frozen=True)
class PlattFit:
    """``sigmoid(scale * logit + shift)`` fitted to ``positives`` of ``points`` (point, class) pairs; the mean
    log-loss before (the logits as they are) and after."""

    scale: float
    shift: float
    points: int
    positives: int
    log_loss_before: float
    log_loss_after: float


@dataclass(frozen=True)
class Calibration:
    """The two fits: the classes with training examples and those named by the open branch alone."""

    trained: PlattFit
    untrained: PlattFit


@dataclass(frozen=True)
class PointLogits:
    """Every valid (point, trained class) pair of a split: the model's logit, the open branch's logit and whether
    the pair is a training target's positive."""

    trained: np.ndarray
    opened: np.ndarray
    positive: np.ndarray


def fit_platt(logits: np.ndarray, positive: np.ndarray) -> PlattFit:
    """Platt scaling: the (scale, shift) minimising the log-loss of ``sigmoid(scale * logit + shift)``."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(positive, dtype=torch.float64)
    if x.numel() == 0 or not 0 < float(y.sum()) < y.numel():
        raise CalibrationError(f"a fit needs both positive and negative points; got {int(y.sum())} of {x.numel()}")
    params = torch.tensor(IDENTITY, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([params], max_iter=200, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = F.binary_cross_entropy_with_logits(params[0] * x + params[1], y)
        value.backward()
        return value

    optimiser.step(loss)
    scale, shift = (float(v) for v in params.detach())
    if not scale > 0:
        raise CalibrationError(f"these logits do not rise with being a positive (fitted scale {scale:.3g})")
    before = float(F.binary_cross_entropy_with_logits(x, y))
    after = float(F.binary_cross_entropy_with_logits(scale * x + shift, y))
    return PlattFit(scale, shift, int(x.numel()), int(y.sum()), before, after)


@torch.inference_mode()
def point_logits(loaded: LoadedModel, dataset: VideoFeatureDataset, batch_size: int = 8) -> PointLogits:
    """The pairs :func:`calibrate` fits, with the model's calibration reset to the identity. ``dataset``'s labels
    must index the model's classes (``UnAVDataset(..., known_classes=loaded.class_names)``); others are skipped."""
    identity = loaded.with_calibration(IDENTITY, IDENTITY)
    model, cfg = identity.model.eval(), identity.config.model
    trained = model.open_vocabulary.trained
    if not bool(trained.any()):
        raise CalibrationError("the model has no class with training examples to calibrate on")
    classes = cfg.num_classes
    prior = label_prior_of(identity)
    was_training = dataset.training
    dataset.training = False
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        collate_fn=partial(collate_videos, pad_multiple=pad_multiple(cfg.pyramid_levels)))
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    try:
        for batch in loader:
            evidence = batch_evidence(prior, batch.visual, batch.audio, batch.num_steps, batch.faces)
            output = model(batch.visual, batch.audio, batch.mask, evidence=evidence)
            lengths = [mask.shape[1] for mask in output.masks]
            targets = torch.stack([
                assign_targets(SegmentTargets(segments[labels < classes], labels[labels < classes]), lengths,
                               cfg.regression_ranges, classes).classes
                for segments, labels in zip(batch.segments, batch.labels)])
            pairs = torch.cat(output.masks, dim=1)[..., None] & trained[None, None, :]
            logits = torch.cat(output.cls_logits, dim=1)[..., :classes]
            opened = torch.cat(output.open_logits, dim=1)[..., :classes]
            for part, values in zip(parts, (logits, opened, targets > 0)):
                part.append(values[pairs].numpy())
    finally:
        dataset.training = was_training
    return PointLogits(*(np.concatenate(part) for part in parts))


def calibrate(loaded: LoadedModel, dataset: VideoFeatureDataset, batch_size: int = 8) -> Calibration:
    """Fit both maps on ``dataset`` (a held-out split; never test)."""
    if not loaded.open_vocabulary:
        raise CalibrationError("only an open-vocabulary model has two kinds of scores to calibrate")
    points = point_logits(loaded, dataset, batch_size)
    return Calibration(fit_platt(points.trained, points.positive), fit_platt(points.opened, points.positive))
