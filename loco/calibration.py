"""The open-vocabulary head's score calibration (ours, not LoCo's; ``python -m loco calibrate``, docs/model.md §7).

An open-vocabulary model scores a class with training examples by its learnt logit and a class without by the open
branch alone (label-space evidence and the class-agnostic "heard and seen" logit). Both are trained by the same focal
loss, yet they are not on one scale: the learnt logits are sharper, so in one video's detections they outrank every
class named by its labels alone, and a threshold that suits one kind hides or floods the other. Calibration maps each
kind to the same probability, that of a detection being right (its class, temporal IoU >= 0.5 with an annotated
event), by Platt scaling of the detections' logits on a held-out split:

- the classes with examples: their detections as the model decodes them (calibration reset to the identity);
- the classes without: the detections of the same classes scored by the open branch alone, what each would score had
  it no examples, the only classes of the split that can stand in for them (the open branch was trained on these
  classes, so its fit may be somewhat kinder than it is to classes never seen).

The fitted ``(scale, shift)`` maps the head's logits before decoding; soft-NMS then decays the scores of overlapping
detections, so the fit holds best for each event's best detection. Each map is increasing, so it changes no class's
ranking of its own detections, only how the two kinds compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from loco.checkpoint import LoadedModel
from loco.data.unav import VideoFeatureDataset
from loco.evaluate import Segment, segment_iou
from loco.infer import dataset_ground_truth, predict_dataset

IDENTITY = (1.0, 0.0)
RIGHT_IOU = 0.5  # a detection is right at the benchmark's headline temporal IoU (mAP@0.5)
SCORE_FLOOR = 1e-6  # scores are clipped to [floor, 1 - floor] before their logit


class CalibrationError(ValueError):
    """A model or split the calibration cannot be fitted on."""


@dataclass(frozen=True)
class PlattFit:
    """``sigmoid(scale * logit + shift)`` fitted to ``positives`` right ones of ``points`` detections; the mean
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


def fit_platt(logits: np.ndarray, positive: np.ndarray) -> PlattFit:
    """Platt scaling: the (scale, shift) minimising the log-loss of ``sigmoid(scale * logit + shift)``."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(positive, dtype=torch.float64)
    if x.numel() == 0 or not 0 < float(y.sum()) < y.numel():
        raise CalibrationError(f"a fit needs both right and wrong detections; got {int(y.sum())} of {x.numel()}")
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
        raise CalibrationError(f"these scores do not rise with being right (fitted scale {scale:.3g})")
    before = float(F.binary_cross_entropy_with_logits(x, y))
    after = float(F.binary_cross_entropy_with_logits(scale * x + shift, y))
    return PlattFit(scale, shift, int(x.numel()), int(y.sum()), before, after)


def right_detections(predictions: list[Segment], truth: list[Segment]) -> tuple[np.ndarray, np.ndarray]:
    """Each prediction's score logit and whether it is right: an annotated event of its video and class overlaps
    it at temporal IoU >= :data:`RIGHT_IOU` (a second detection of one event counts as right too)."""
    spans: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for segment in truth:
        spans.setdefault((segment.video_id, segment.label_id), []).append((segment.start, segment.end))
    right = np.array([bool(np.any(segment_iou(np.array([p.start, p.end]), np.array(spans[key])) >= RIGHT_IOU))
                      if (key := (p.video_id, p.label_id)) in spans else False for p in predictions])
    scores = np.clip([p.score for p in predictions], SCORE_FLOOR, 1.0 - SCORE_FLOOR)
    return np.log(scores) - np.log1p(-scores), right


def calibrate(loaded: LoadedModel, dataset: VideoFeatureDataset, batch_size: int = 8) -> Calibration:
    """Fit both maps on ``dataset`` (a held-out split, never test), whose labels index the model's classes
    (``UnAVDataset(..., known_classes=loaded.class_names)``)."""
    if not loaded.open_vocabulary:
        raise CalibrationError("only an open-vocabulary model has two kinds of scores to calibrate")
    if not any(loaded.trained_classes().values()):
        raise CalibrationError("the model has no class with training examples to calibrate on")
    # both fits read the head's logits, so both decodes name every class by them (not on the detections)
    identity = loaded.with_calibration(IDENTITY, IDENTITY).with_postprocess(untrained_naming="open_branch")
    open_only = identity.with_open_vocabulary(class_terms=False, closed_logits_alone=False)
    truth = dataset_ground_truth(dataset).segments
    with_examples = {k for k, name in enumerate(loaded.class_names) if loaded.trained_classes().get(name)}
    trained = right_detections([p for p in predict_dataset(identity, dataset, batch_size)
                                if p.label_id in with_examples], truth)
    untrained = right_detections([p for p in predict_dataset(open_only, dataset, batch_size)
                                  if p.label_id in with_examples], truth)
    return Calibration(fit_platt(*trained), fit_platt(*untrained))
