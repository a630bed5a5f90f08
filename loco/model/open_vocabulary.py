"""The open-vocabulary head (our addition, not LoCo's; ``model.open_vocabulary``, docs/model.md §7).

LoCo's classification head names only the classes it was trained on. This head scores any class the encoders' label
spaces can hear and see (``loco/label_space.py``), trained or not, and keeps the closed-set head's per-class logits
for the classes that had training examples:

    logit(point, c) = a * h(point) + b * logit(q_c(point)) + d  [+ closed_c(point) if c had training examples]
    (or, with ``closed_logits_alone``, closed_c(point) alone if c had training examples)
    then scale * logit + shift, one pair for the classes with examples and one for those without (``calibrate``)
    q_c = prod over streams s of  e_s,c(point) ^ w_s   (or missing_stream_evidence ^ w_s where s has no label for c)

``h`` is a learned class-agnostic "heard and seen" logit (one more head on the fused pyramid features: what LoCo's
pyramid, LCC and CDP are for), ``e_s,c`` the class's evidence in stream ``s`` (audio: YAMNet's AudioSet scores;
visual: MobileNetV2's ImageNet or I3D's Kinetics scores, or the face cue for people classes) averaged over the steps
a point covers, and a, b, d, w_s and the missing streams' evidence one calibration shared by all classes. The product
is an AND: a sound without its picture (or a picture without its sound) scores low whatever the other stream says.
With ``a = 0`` and the calibration fixed the head scores by label spaces alone, without training.

Training adds two terms to the classification loss (:meth:`OpenVocabularyHead.losses`): the focal loss of the open
logits alone (what a class without examples gets) and of ``h`` against "inside any event". Which classes had training
examples is counted in a buffer as positives pass through the loss, so it is saved with the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from loco.config import OpenVocabularyConfig
from loco.model.heads import ClassificationHead
from loco.model.losses import sigmoid_focal_loss

STREAMS = ("audio", "visual")
UNSCORED_LOGIT = -30.0  # the logit of a class the head cannot score (sigmoid ~ 1e-13: below every threshold)


@dataclass
class ClassEvidence:
    """Label-space evidence of K classes for a padded batch: ``scores`` [B, S, K, T] in [0, 1] (streams in
    :data:`STREAMS` order), ``mapped`` [S, K] bool (the stream has labels for the class)."""

    scores: Tensor
    mapped: Tensor

    def to(self, device: torch.device | str) -> "ClassEvidence":
        return ClassEvidence(self.scores.to(device), self.mapped.to(device))

    @property
    def num_classes(self) -> int:
        return int(self.mapped.shape[1])

    def at_level(self, level: int, mask: Tensor) -> Tensor:
        """[B, S, K, T_l]: each level-``level`` point's evidence, the mean over the valid steps it covers
        (``mask`` [B, T] bool, the level-0 validity)."""
        if level == 0:
            return self.scores
        batch, streams, classes, steps = self.scores.shape
        width = 2**level
        weight = mask.to(self.scores.dtype)[:, None, :]  # [B, 1, T]
        weighted = (self.scores * weight[:, None]).reshape(batch, streams * classes, steps)
        # ceil mode: level l has ceil(T / 2^l) points, as the pyramid's stride-2 convolutions give
        total = F.avg_pool1d(weighted, width, width, ceil_mode=True)
        count = F.avg_pool1d(weight, width, width, ceil_mode=True).clamp(min=1e-6)
        return (total / count).reshape(batch, streams, classes, -1)


class OpenVocabularyHead(nn.Module):
    """Scores K >= C classes from the fused features, the closed-set logits [B, T_l, C] and the label-space
    evidence (module docstring)."""

    def __init__(self, in_dim: int, dim: int, num_classes: int, cfg: OpenVocabularyConfig, prior_prob: float) -> None:
        super().__init__()
        self.cfg = cfg
        self.agnostic = ClassificationHead(in_dim, dim, 1, prior_prob)
        self.agnostic_weight = nn.Parameter(torch.tensor(float(cfg.agnostic_weight_init)))
        self.evidence_weight = nn.Parameter(torch.tensor(float(cfg.evidence_weight_init)))
        self.bias = nn.Parameter(torch.zeros(()))
        self.stream_weight = nn.Parameter(torch.ones(len(STREAMS)))
        missing = torch.log(torch.tensor(float(cfg.missing_stream_evidence)))
        self.missing_log_evidence = nn.Parameter(missing.repeat(len(STREAMS)))
        if cfg.fixed_calibration:
            for parameter in (self.agnostic_weight, self.evidence_weight, self.bias, self.stream_weight,
                              self.missing_log_evidence):
                parameter.requires_grad_(False)
        # positive points seen per class in training (float, so that the EMA copy of the model can average it)
        self.register_buffer("examples", torch.zeros(num_classes))

    @property
    def trained(self) -> Tensor:
        """[C] bool: the classes that had training examples."""
        return self.examples > 0

    def open_logits(self, agnostic: Tensor, evidence: Tensor, mapped: Tensor) -> Tensor:
        """``agnostic`` [B, T_l, 1], level evidence [B, S, K, T_l], ``mapped`` [S, K] -> [B, T_l, K]."""
        floor = self.cfg.evidence_floor
        log_evidence = torch.log(evidence.clamp(floor, 1.0 - floor)) * self.stream_weight[None, :, None, None]
        missing = (self.missing_log_evidence.clamp(max=0.0) * self.stream_weight)[None, :, None, None]
        log_q = torch.where(mapped[None, :, :, None], log_evidence, missing).sum(dim=1)  # [B, K, T_l]
        log_q = log_q.clamp(max=torch.log1p(torch.tensor(-floor)).item())
        q_logit = log_q - torch.log1p(-torch.exp(log_q))  # logit(q) from log q
        return self.agnostic_weight * agnostic + self.evidence_weight * q_logit.transpose(1, 2) + self.bias

    def forward(self, fused: Tensor, mask: Tensor, closed: Tensor, evidence: Tensor,
                mapped: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """-> (class logits [B, T_l, K], open logits [B, T_l, K], agnostic logits [B, T_l, 1])."""
        agnostic = self.agnostic(fused.detach() if self.cfg.detach_open_branch else fused, mask)
        opened = self.open_logits(agnostic, evidence, mapped)
        extra = opened.shape[-1] - closed.shape[-1]
        trained = F.pad(self.trained, (0, extra)) if self.cfg.class_terms else torch.zeros_like(mapped[0])
        if not self.cfg.class_terms:
            logits = opened
        elif self.cfg.closed_logits_alone:
            logits = torch.where(trained, F.pad(closed, (0, extra)), opened)
        else:
            logits = opened + F.pad(closed, (0, extra)) * trained.to(closed.dtype)
        (trained_scale, trained_shift), (untrained_scale, untrained_shift) = (self.cfg.trained_calibration,
                                                                              self.cfg.untrained_calibration)
        logits = torch.where(trained, trained_scale * logits + trained_shift,
                             untrained_scale * logits + untrained_shift)
        # a class no stream has labels for (on this profile) and without training examples is not scored at all
        scorable = mapped.any(dim=0) | trained
        opened = torch.where(scorable, opened, torch.full_like(opened, UNSCORED_LOGIT))
        logits = torch.where(scorable, logits, torch.full_like(logits, UNSCORED_LOGIT))
        return logits, opened, agnostic

    def regression(self, offsets: Tensor, closed: Tensor, num_classes: int) -> Tensor:
        """Class-aware offsets [B, T_l, C, 2] ([B, T_l, 2] when C = 1) -> [B, T_l, K, 2]: a class without training
        examples takes, at each point, the offsets of the point's most confident trained class (all classes, before
        any training)."""
        if offsets.ndim == 3:  # the regression head squeezes its one class away
            offsets = offsets[:, :, None]
        trained = self.trained
        if trained.any():
            closed = closed.masked_fill(~trained, float("-inf"))
        best = closed.argmax(dim=-1)  # [B, T_l]
        agnostic = torch.gather(offsets, 2, best[..., None, None].expand(-1, -1, 1, 2))  # [B, T_l, 1, 2]
        columns = torch.cat([trained, trained.new_zeros(num_classes - trained.numel())])
        padded = F.pad(offsets, (0, 0, 0, num_classes - offsets.shape[2]))
        return torch.where(columns[None, None, :, None], padded, agnostic.expand_as(padded))

    def count_examples(self, target_classes: Tensor, valid: Tensor) -> None:
        """Add the positive points of a training batch (``target_classes`` [B, P, C] multi-hot, ``valid`` [B, P])."""
        self.examples += (target_classes * valid[..., None]).sum(dim=(0, 1)).to(self.examples.dtype)

    def losses(self, open_logits: Tensor, agnostic: Tensor, target_classes: Tensor, valid: Tensor) -> Tensor:
        """Summed focal losses of the open logits alone and of the agnostic logit against "inside any event"
        (``open_logits`` [B, P, C] and ``agnostic`` [B, P, 1] over the concatenated levels)."""
        open_loss = sigmoid_focal_loss(open_logits[valid], target_classes[valid])
        any_event = target_classes.amax(dim=-1, keepdim=True)
        return open_loss + sigmoid_focal_loss(agnostic[valid], any_event[valid])
