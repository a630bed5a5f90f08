"""Decoding and per-class Gaussian soft-NMS (docs/model.md §6, :mod:`loco.model.soft_nms`); results in feature steps
(fractional).

Per level: ``sigmoid(logits) * mask``, keep scores > ``pre_nms_threshold``, the top ``pre_nms_topk``; a point ``p``
(step ``i * 2^l``) with distances ``dL, dR`` (units of the stride ``s``) gives ``[p - dL s, p + dR s]``; segments not
longer than ``min_length_steps`` are dropped. Then per class soft-NMS ``score <- score * exp(-IoU^2 / sigma)``,
scores below ``min_score`` dropped, the ``max_detections`` best kept per video. With ``label_prior_weight`` w > 0 and
the video's label-space evidence (``loco/label_prior.py``, our addition), each point's class probabilities are first
re-weighted by the prior of its own decoded segment: ``p^(1-w) * prior^w``. With ``untrained_naming`` =
"detections" an open-vocabulary model's classes without training examples are named on the others' detections
(:mod:`loco.model.naming`, also ours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from loco.config import PostprocessConfig
from loco.model.loco import LoCoOutput
from loco.model.naming import name_untrained
from loco.model.soft_nms import soft_nms
from loco.model.voice_pitch import weigh_by_pitch

if TYPE_CHECKING:
    from loco.label_prior import StepEvidence


@dataclass(frozen=True)
class Detection:
    label: int
    start: float  # feature steps
    end: float
    score: float


def _with_label_prior(
    probabilities: torch.Tensor, distances: torch.Tensor, stride: int, evidence: StepEvidence, weight: float
) -> torch.Tensor:
    """``p^(1-w) * prior^w`` for one level's [T_l, C] probabilities, each point's prior taken over the segment it
    decodes to (its class's segment where offsets are per class)."""
    points, num_classes = probabilities.shape
    centres = torch.arange(points, dtype=torch.float32)[:, None] * stride
    if distances.ndim == 3:  # per-class offsets [T_l, C, 2]
        bounds = torch.stack((centres - distances[..., 0] * stride, centres + distances[..., 1] * stride), dim=-1)
        prior = evidence.segment_prior(bounds.reshape(-1, 2).cpu().numpy()).reshape(points, num_classes, num_classes)
        prior = prior[:, np.arange(num_classes), np.arange(num_classes)]
    else:
        bounds = torch.stack((centres[:, 0] - distances[:, 0] * stride, centres[:, 0] + distances[:, 1] * stride), 1)
        prior = evidence.segment_prior(bounds.cpu().numpy())
    prior_t = torch.as_tensor(prior, dtype=probabilities.dtype, device=probabilities.device)
    return probabilities ** (1.0 - weight) * prior_t**weight


def _candidates(
    output: LoCoOutput, index: int, cfg: PostprocessConfig, evidence: StepEvidence | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decoded pre-NMS candidates of one video: segments [N, 2] (steps), scores [N], labels [N]."""
    segments, scores, labels = [], [], []
    for level, (logits, offsets, mask) in enumerate(zip(output.cls_logits, output.reg_offsets, output.masks)):
        stride = 2**level
        probabilities = torch.sigmoid(logits[index].float()) * mask[index, :, None]
        if evidence is not None and cfg.label_prior_weight > 0:
            probabilities = _with_label_prior(probabilities, offsets[index].float(), stride, evidence,
                                              cfg.label_prior_weight)
        probabilities = probabilities.flatten()
        num_classes = logits.shape[-1]
        keep = torch.nonzero(probabilities > cfg.pre_nms_threshold).squeeze(1)
        if keep.numel() > cfg.pre_nms_topk:
            keep = keep[torch.topk(probabilities[keep], cfg.pre_nms_topk).indices]
        points = torch.div(keep, num_classes, rounding_mode="floor")
        classes = keep % num_classes
        distances = offsets[index].float()
        distances = distances[points, classes] if distances.ndim == 3 else distances[points]
        centres = points.to(torch.float32) * stride
        level_segments = torch.stack((centres - distances[:, 0] * stride, centres + distances[:, 1] * stride), dim=1)
        long_enough = (level_segments[:, 1] - level_segments[:, 0]) > cfg.min_length_steps
        segments.append(level_segments[long_enough])
        scores.append(probabilities[keep][long_enough])
        labels.append(classes[long_enough])
    return (
        torch.cat(segments).detach().cpu().numpy(),
        torch.cat(scores).detach().cpu().numpy(),
        torch.cat(labels).detach().cpu().numpy(),
    )


def decode_detections(
    output: LoCoOutput,
    cfg: PostprocessConfig,
    num_classes: int,
    evidence: Sequence[StepEvidence] | None = None,
    untrained: np.ndarray | None = None,
) -> list[list[Detection]]:
    """One list of detections per batch item, best first, start/end in feature steps. ``evidence`` (one per batch
    item) feeds the label prior when ``cfg.label_prior_weight`` > 0, and, with ``cfg.untrained_naming`` =
    "detections", names the ``untrained`` classes ([C] bool) on the trained ones' detections instead of decoding
    their own logits (:mod:`loco.model.naming`), and with ``cfg.voice_pitch_width`` > 0 weighs the speaking classes'
    detections by the voice pitch (:mod:`loco.model.voice_pitch`); without it none of these is applied."""
    if output.cls_logits[0].shape[-1] != num_classes:
        raise ValueError(f"output has {output.cls_logits[0].shape[-1]} classes, expected {num_classes}")
    on_detections = cfg.untrained_naming == "detections" and evidence is not None and untrained is not None
    results = []
    for index in range(output.masks[0].shape[0]):
        segments, scores, labels = _candidates(output, index, cfg, evidence[index] if evidence is not None else None)
        if on_detections:
            trained = ~untrained[labels]
            segments, scores, labels = segments[trained], scores[trained], labels[trained]
        segments, scores, labels = soft_nms(segments, scores, labels, cfg.nms_sigma, cfg.min_score, cfg.max_detections)
        if on_detections:
            segments, scores, labels = name_untrained(segments, scores, labels, untrained, evidence[index], cfg)
        voices = evidence[index] if evidence is not None else None
        if cfg.voice_pitch_width > 0 and voices is not None and voices.has_voice_pitch:
            segments, scores, labels = weigh_by_pitch(segments, scores, labels, voices.pitch, voices.voice_registers,
                                                      cfg.voice_pitch_width)
        results.append(
            [Detection(int(c), float(s), float(e), float(p)) for (s, e), p, c in zip(segments, scores, labels)]
        )
    return results
