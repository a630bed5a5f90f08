"""LoCo: UnAV's audio-visual detector with LCC after the unimodal encoders and CDP in the cross-modal pyramid.

Pipeline (docs/model.md): per-modality embedding + self-attention encoders -> LCC (correction + label-free loss) ->
6-level cross-modal pyramid (CDP windows) -> per level ``concat(V_l, A_l)`` (-> optional dependency block) -> shared
classification / regression heads. Turning LCC off and CDP to ``dense`` gives the UnAV baseline with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from loco.config import ModelConfig
from loco.model.assignment import SegmentTargets, assign_targets, steps_inside_events
from loco.model.dependency import DependencyBlock
from loco.model.encoder import UnimodalEncoder
from loco.model.heads import ClassificationHead, RegressionHead
from loco.model.internals import BatchInternals
from loco.model.lcc import LCCResult, LocalityCorrespondence, event_gate_loss
from loco.model.losses import PositiveCountEMA, diou_loss_1d, sigmoid_focal_loss
from loco.model.open_vocabulary import ClassEvidence, OpenVocabularyHead
from loco.model.pyramid import PyramidLevel, CrossModalPyramid

__all__ = ["LoCo", "LoCoOutput", "LossBreakdown", "ModelInputError", "SegmentTargets"]


class ModelInputError(ValueError):
    """Inputs whose shapes or dims do not match the model."""


@dataclass
class LoCoOutput:
    cls_logits: list[Tensor]  # per level [B, T_l, C]
    reg_offsets: list[Tensor]  # per level [B, T_l, C, 2] (class-aware) or [B, T_l, 2]; units of the level stride
    masks: list[Tensor]  # per level bool [B, T_l]
    lcc_loss: Tensor | None  # scalar, unweighted; None without LCC and in eval mode (it is a training signal only)
    lcc_gate_logits: Tensor | None  # [B, 2, T] (visual, audio) LCC gates before the sigmoid; None without LCC
    internals: BatchInternals | None
    open_logits: list[Tensor] | None = None  # per level [B, T_l, K]: the open-vocabulary logits alone (no class terms)
    agnostic_logits: list[Tensor] | None = None  # per level [B, T_l, 1]: the open-vocabulary head's "heard and seen"


@dataclass
class LossBreakdown:
    total: Tensor
    cls: Tensor
    reg: Tensor
    lcc: Tensor  # unweighted (0 without LCC)
    lcc_event: Tensor  # unweighted event-gate term (0 without LCC or with LCCConfig.event_gate_weight = 0)
    num_pos: int  # positive points in the batch


class LoCo(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if len(cfg.regression_ranges) != cfg.pyramid_levels:
            raise ValueError(f"{cfg.pyramid_levels} pyramid levels need as many regression ranges")
        self.cfg = cfg
        dim = cfg.embed_dim
        self.visual_encoder = UnimodalEncoder(cfg.visual_dim, cfg)
        self.audio_encoder = UnimodalEncoder(cfg.audio_dim, cfg)
        self.lcc = LocalityCorrespondence(dim, cfg.lcc) if cfg.lcc.enabled else None
        self.pyramid = CrossModalPyramid(cfg)
        self.dependency = (
            DependencyBlock(2 * dim, cfg.num_classes, cfg.num_heads, cfg.drop_path) if cfg.dependency_block else None
        )
        self.cls_head = ClassificationHead(2 * dim, cfg.head_dim, cfg.num_classes, cfg.prior_prob)
        num_regression_outputs = cfg.num_classes if cfg.class_aware_regression else 1
        self.reg_head = RegressionHead(2 * dim, cfg.head_dim, cfg.pyramid_levels, num_regression_outputs)
        self.open_vocabulary = (
            OpenVocabularyHead(2 * dim, cfg.head_dim, cfg.num_classes, cfg.open_vocabulary, cfg.prior_prob)
            if cfg.open_vocabulary.enabled else None
        )
        self.loss_normaliser = PositiveCountEMA()

    def _check_inputs(self, visual: Tensor, audio: Tensor, mask: Tensor) -> None:
        if visual.ndim != 3 or audio.ndim != 3 or mask.ndim != 2:
            raise ModelInputError(
                f"expected visual [B, C_v, T], audio [B, C_a, T], mask [B, T]; got {tuple(visual.shape)}, "
                f"{tuple(audio.shape)}, {tuple(mask.shape)}"
            )
        if visual.shape[1] != self.cfg.visual_dim or audio.shape[1] != self.cfg.audio_dim:
            raise ModelInputError(
                f"model expects visual dim {self.cfg.visual_dim} and audio dim {self.cfg.audio_dim}, got "
                f"{visual.shape[1]} and {audio.shape[1]}"
            )
        if not (visual.shape[0] == audio.shape[0] == mask.shape[0]) or not (
            visual.shape[2] == audio.shape[2] == mask.shape[1]
        ):
            raise ModelInputError(
                f"batch and time sizes differ: visual {tuple(visual.shape)}, audio {tuple(audio.shape)}, "
                f"mask {tuple(mask.shape)}"
            )
        if mask.dtype != torch.bool:
            raise ModelInputError(f"mask must be bool, got {mask.dtype}")
        if visual.shape[2] == 0 or not bool(mask[:, 0].all()):
            raise ModelInputError("every video needs at least one valid step, and valid steps must come first")

    def forward(self, visual: Tensor, audio: Tensor, mask: Tensor, return_internals: bool = False,
                evidence: ClassEvidence | None = None) -> LoCoOutput:
        """``evidence``: the label-space evidence of the classes to score, which the open-vocabulary head needs
        (``loco.label_prior.batch_evidence``); without that head it is ignored."""
        self._check_inputs(visual, audio, mask)
        if self.open_vocabulary is not None and evidence is None:
            raise ModelInputError("the open-vocabulary head needs the label-space evidence of the classes to score")
        step_mask = mask[:, None, :]
        visual_embedded = self.visual_encoder.embed(visual, step_mask)
        audio_embedded = self.audio_encoder.embed(audio, step_mask)
        visual_features = self.visual_encoder.encode(visual_embedded, step_mask)
        audio_features = self.audio_encoder.encode(audio_embedded, step_mask)
        lcc = None
        if self.lcc is not None:
            content = (visual_embedded, audio_embedded) if self.cfg.lcc.position_free else None
            lcc = self.lcc(visual_features, audio_features, step_mask, content)
            visual_features, audio_features = lcc.visual, lcc.audio
        levels = self.pyramid(visual_features, audio_features, step_mask, need_weights=return_internals)
        cls_logits, reg_offsets, masks, open_logits, agnostic_logits = [], [], [], [], []
        for index, level in enumerate(levels):
            fused = torch.cat((level.visual, level.audio), dim=1)
            if self.dependency is not None:
                fused = self.dependency(fused, level.mask)
            logits, offsets = self.cls_head(fused, level.mask), self.reg_head(fused, level.mask, index)
            if self.open_vocabulary is not None:
                closed = logits
                logits, opened, agnostic = self.open_vocabulary(fused, level.mask, closed,
                                                                evidence.at_level(index, mask), evidence.mapped)
                if self.cfg.class_aware_regression:
                    offsets = self.open_vocabulary.regression(offsets, closed, evidence.num_classes)
                open_logits.append(opened)
                agnostic_logits.append(agnostic)
            cls_logits.append(logits)
            reg_offsets.append(offsets)
            masks.append(level.mask[:, 0, :])
        internals = self._internals(lcc, levels) if return_internals else None
        return LoCoOutput(
            cls_logits, reg_offsets, masks, None if lcc is None else lcc.loss, None if lcc is None else lcc.gate_logits,
            internals, open_logits or None, agnostic_logits or None,
        )

    def _internals(self, lcc: LCCResult | None, levels: list[PyramidLevel]) -> BatchInternals:
        lengths = [level.mask[:, 0, :].sum(dim=1).tolist() for level in levels]
        cdp_left, cdp_right = [], []
        for level in levels:
            if level.window is None:
                batch, _, tokens = level.mask.shape  # dense: the window is the video's whole level
                valid_tokens = level.mask.sum(dim=2, keepdim=True).to(level.visual.dtype)  # [B, 1, 1]
                whole = valid_tokens.expand(batch, self.cfg.num_heads, tokens)
                cdp_left.append(whole)
                cdp_right.append(whole)
            else:
                cdp_left.append(level.window.left.detach())
                cdp_right.append(level.window.right.detach())

        def detach(x: Tensor | None) -> Tensor | None:
            return None if x is None else x.detach()

        return BatchInternals(
            lengths=lengths,
            lcc_visual=detach(lcc and lcc.z_visual),
            lcc_audio=detach(lcc and lcc.z_audio),
            coherence_visual=detach(lcc and lcc.coherence_visual),
            coherence_audio=detach(lcc and lcc.coherence_audio),
            gate_visual=detach(lcc and lcc.gate_visual),
            gate_audio=detach(lcc and lcc.gate_audio),
            cdp_left=cdp_left,
            cdp_right=cdp_right,
            attention=[{name: weights.detach() for name, weights in level.attention.items()} for level in levels],
            lcc_band=self.cfg.lcc.band if lcc is not None else None,
        )

    def compute_loss(self, output: LoCoOutput, targets: list[SegmentTargets],
                     ignore: Tensor | None = None) -> LossBreakdown:
        """Focal + DIoU losses over all levels, normalised by the EMA of #positive points, plus λ·L_LCC. ``ignore``
        [B, P, C] bool (the concatenated levels' points): (point, class) pairs the focal loss leaves out (a
        fine-tune's pairs that distillation alone teaches)."""
        if len(targets) != output.masks[0].shape[0]:
            raise ValueError(f"{len(targets)} targets for a batch of {output.masks[0].shape[0]}")
        level_lengths = [mask.shape[1] for mask in output.masks]
        assigned = [
            assign_targets(target, level_lengths, self.cfg.regression_ranges, self.cfg.num_classes) for target in targets
        ]
        valid = torch.cat(output.masks, dim=1)  # [B, P]
        logits = torch.cat(output.cls_logits, dim=1)  # [B, P, C]
        target_classes = torch.stack([a.classes for a in assigned]).to(logits.device)
        positive_points = valid & (target_classes > 0).any(dim=-1)
        num_pos = int(positive_points.sum())
        normaliser = self.loss_normaliser(num_pos, update=self.training)
        if ignore is None:
            cls_loss = sigmoid_focal_loss(logits[valid], target_classes[valid]) / normaliser
        else:
            scored = valid[..., None] & (~ignore.to(logits.device) | (target_classes > 0))  # positives always count
            cls_loss = sigmoid_focal_loss(logits[scored], target_classes[scored]) / normaliser
        offsets = torch.cat(output.reg_offsets, dim=1)
        if self.cfg.class_aware_regression:
            target_offsets = torch.stack([a.offsets for a in assigned]).to(offsets.device)  # [B, P, C, 2]
            pairs = valid[..., None] & (target_classes > 0)
            reg_loss = diou_loss_1d(offsets[pairs], target_offsets[pairs]) / normaliser
        else:
            target_offsets = torch.stack([a.shortest for a in assigned]).to(offsets.device)
            reg_loss = diou_loss_1d(offsets[positive_points], target_offsets[positive_points]) / normaliser
        if self.open_vocabulary is not None and output.open_logits is not None:
            if self.training:
                self.open_vocabulary.count_examples(target_classes, valid)
            cls_loss = cls_loss + self.open_vocabulary.losses(
                torch.cat(output.open_logits, dim=1), torch.cat(output.agnostic_logits, dim=1), target_classes, valid
            ) / normaliser
        lcc_loss = output.lcc_loss if output.lcc_loss is not None else logits.new_zeros(())
        event_loss = logits.new_zeros(())
        if self.cfg.lcc.event_gate_weight > 0 and output.lcc_gate_logits is not None:
            gate_logits, step_mask = output.lcc_gate_logits, output.masks[0]
            in_event = torch.stack([steps_inside_events(target, step_mask.shape[1]) for target in targets])
            event_loss = event_gate_loss(gate_logits, in_event.to(gate_logits.device), step_mask)
        total = (
            cls_loss + reg_loss + self.cfg.lcc.loss_weight * lcc_loss + self.cfg.lcc.event_gate_weight * event_loss
        )
        return LossBreakdown(total, cls_loss, reg_loss, lcc_loss, event_loss, num_pos)
