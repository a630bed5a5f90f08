"""LCC: Locality-aware Correspondence Correction (docs/model.md §3).

The audio and visual encoders' outputs are compared step by step (``S[t, s] = <z^v_t, z^a_s>``, rows visual time,
columns audio time). How much of a step's cross-modal affinity falls inside a local band ``|t - s| <= w`` (its
*coherence*) gates the step: steps whose sound and picture agree locally are amplified. A label-free multi-positive
InfoNCE on the same matrix (positives: the band; ignored: the guard band ``w < |t - s| <= 2w``; negatives: the rest)
teaches the encoders to emphasise what both modalities share.

Our options, not the paper's: the gates' logits are also scored against the steps inside annotated events
(``LCCConfig.event_gate_weight``, :func:`event_gate_loss`), since the label-free loss alone leaves coherence blind to
whether a sound belongs to the picture (experiments/README.md, "Why LCC and CDP add nothing here"); and the gates can
read the same step's agreement ``S[t, t]`` instead of the coherence (``LCCConfig.gate_input``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from loco.config import LCCConfig
from loco.model.blocks import Pointwise

_MASKED_LOGIT = -1e9  # finite, so rows with no valid entry stay NaN-free (they are weighted out anyway)


def band_offsets(length: int, device: torch.device | None = None) -> Tensor:
    """``|t - s|`` for a ``length x length`` matrix."""
    steps = torch.arange(length, device=device)
    return (steps[:, None] - steps[None, :]).abs()


def local_coherence(correspondence: Tensor, mask: Tensor, band: int, temperature: float) -> tuple[Tensor, Tensor]:
    """Share of each step's softmax affinity (over valid steps of the other modality) inside the band.

    ``correspondence [B, T, T]`` (visual rows, audio columns), ``mask [B, T]`` -> ``(c_v [B, T], c_a [B, T])``,
    zero at padded steps.
    """
    in_band = band_offsets(correspondence.shape[-1], correspondence.device) <= band
    logits = correspondence / temperature
    pair_valid = mask[:, :, None] & mask[:, None, :]
    logits = logits.masked_fill(~pair_valid, _MASKED_LOGIT)
    visual_to_audio = torch.softmax(logits, dim=2)
    audio_to_visual = torch.softmax(logits, dim=1)
    maskf = mask.to(correspondence.dtype)
    coherence_visual = (visual_to_audio * in_band).sum(dim=2) * maskf
    coherence_audio = (audio_to_visual * in_band).sum(dim=1) * maskf
    return coherence_visual, coherence_audio


def event_gate_loss(gate_logits: Tensor, in_event: Tensor, mask: Tensor) -> Tensor:
    """Binary cross-entropy of both streams' gate logits ``[B, 2, T]`` against ``in_event [B, T]`` (1 inside an
    annotated event), averaged over each video's valid steps (``mask [B, T]``), then over the batch."""
    target = in_event.to(gate_logits.dtype)[:, None, :].expand_as(gate_logits)
    per_step = F.binary_cross_entropy_with_logits(gate_logits, target, reduction="none").mean(dim=1)
    maskf = mask.to(gate_logits.dtype)
    return ((per_step * maskf).sum(dim=1) / maskf.sum(dim=1).clamp(min=1)).mean()


def cross_video_logsumexp(z_visual: Tensor, z_audio: Tensor, mask: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
    """For every anchor step, ``log sum exp(<z, z'>/tau)`` over all valid steps of the OTHER modality in the batch's
    OTHER videos: ``(visual anchors [B, T], audio anchors [B, T])``; about -1e9 where there is no other video.

    ``z_visual, z_audio [B, D, T]`` (normalised), ``mask [B, T]``.
    """
    batch = z_visual.shape[0]
    logits = torch.einsum("bdt,cds->btcs", z_visual, z_audio) / temperature  # visual (b, t) against audio (c, s)
    other_video = ~torch.eye(batch, dtype=torch.bool, device=z_visual.device)
    keep = mask[:, :, None, None] & mask[None, None, :, :] & other_video[:, None, :, None]
    logits = logits.masked_fill(~keep, _MASKED_LOGIT)
    visual_anchors = torch.logsumexp(logits.flatten(2), dim=2)
    audio_anchors = torch.logsumexp(logits.permute(2, 3, 0, 1).flatten(2), dim=2)
    return visual_anchors, audio_anchors


def coherence_infonce_loss(
    correspondence: Tensor, mask: Tensor, band: int, temperature: float,
    cross_video: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Label-free multi-positive InfoNCE in both directions, ``½(l_v->a + l_a->v)``, averaged per video then batch.

    For an anchor step, ``-log( sum_pos exp(S/tau) / sum_{pos u neg} exp(S/tau) )`` with positives ``|t-s| <= w``,
    negatives ``|t-s| > 2w`` and the guard band in between left out, so long events are not pushed apart.
    Padded steps are neither anchors nor candidates. An anchor without negatives (very short video) adds 0.
    ``cross_video`` (from :func:`cross_video_logsumexp`) adds the batch's other videos to every anchor's negatives.
    """
    offsets = band_offsets(correspondence.shape[-1], correspondence.device)
    positive = offsets <= band
    candidate = positive | (offsets > 2 * band)
    pair_valid = mask[:, :, None] & mask[:, None, :]
    logits = correspondence / temperature
    all_logits = logits.masked_fill(~(candidate & pair_valid), _MASKED_LOGIT)
    positive_logits = logits.masked_fill(~(positive & pair_valid), _MASKED_LOGIT)
    maskf = mask.to(correspondence.dtype)
    per_video = []
    for direction, dim in enumerate((2, 1)):  # visual anchors over audio columns, then audio anchors over visual rows
        denominator = torch.logsumexp(all_logits, dim=dim)  # [B, T]
        if cross_video is not None:
            denominator = torch.logaddexp(denominator, cross_video[direction])
        nll = denominator - torch.logsumexp(positive_logits, dim=dim)
        per_video.append((nll * maskf).sum(dim=1) / maskf.sum(dim=1).clamp(min=1))
    return (0.5 * (per_video[0] + per_video[1])).mean()


@dataclass
class LCCResult:
    visual: Tensor  # corrected visual features [B, D, T]
    audio: Tensor
    correspondence: Tensor  # S [B, T, T]
    coherence_visual: Tensor  # [B, T]
    coherence_audio: Tensor
    gate_visual: Tensor  # [B, T]
    gate_audio: Tensor
    gate_logits: Tensor  # [B, 2, T] (visual, audio): alpha c + beta (or alpha S[t, t] + beta), before the sigmoid
    loss: Tensor | None  # scalar, unweighted; only computed in training mode (inference does not need it)


class LocalityCorrespondence(nn.Module):
    """Projects both streams to D/2, builds S, computes coherence and gates, corrects the features, returns the loss."""

    def __init__(self, dim: int, cfg: LCCConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.project_visual = Pointwise(dim, dim // 2)
        self.project_audio = Pointwise(dim, dim // 2)
        self.gate_alpha = nn.Parameter(torch.full((2,), float(cfg.gate_alpha_init)))  # (visual, audio)
        self.gate_beta = nn.Parameter(torch.full((2,), float(cfg.gate_beta_init)))
        if cfg.cross_aggregate:
            self.aggregate_visual = Pointwise(dim, dim)  # W_o for audio -> visual
            self.aggregate_audio = Pointwise(dim, dim)
        else:
            self.aggregate_visual = self.aggregate_audio = None

    def forward(self, visual: Tensor, audio: Tensor, mask: Tensor,
                content: tuple[Tensor, Tensor] | None = None) -> LCCResult:
        """``visual, audio [B, D, T]``, ``mask [B, 1, T]``; ``content`` (visual, audio) ``[B, D, T]``: what the
        correspondence compares, when not the features it corrects (LCCConfig.position_free)."""
        step_mask = mask[:, 0, :]
        compared_visual, compared_audio = content if content is not None else (visual, audio)
        z_visual = F.normalize(self.project_visual(compared_visual), dim=1)
        z_audio = F.normalize(self.project_audio(compared_audio), dim=1)
        correspondence = torch.bmm(z_visual.transpose(1, 2), z_audio)  # [B, T_visual, T_audio]
        band, tau_c = self.cfg.band, self.cfg.coherence_temperature
        coherence_visual, coherence_audio = local_coherence(correspondence, step_mask, band, tau_c)
        maskf = step_mask.to(visual.dtype)
        if self.cfg.gate_input == "agreement":
            gate_input = torch.diagonal(correspondence, dim1=1, dim2=2)[:, None, :].expand(-1, 2, -1)
        else:
            gate_input = torch.stack((coherence_visual, coherence_audio), dim=1)  # [B, 2, T]
        gate_logits = self.gate_alpha[None, :, None] * gate_input + self.gate_beta[None, :, None]
        gate_visual, gate_audio = (torch.sigmoid(gate_logits) * maskf[:, None, :]).unbind(dim=1)
        corrected_visual = visual * (1.0 + gate_visual[:, None, :])
        corrected_audio = audio * (1.0 + gate_audio[:, None, :])
        if self.aggregate_visual is not None:
            corrected_visual, corrected_audio = self._add_banded_context(
                correspondence, step_mask, visual, audio, gate_visual, gate_audio, corrected_visual, corrected_audio
            )
        loss = None
        if self.training:
            tau, cross_video = self.cfg.loss_temperature, None
            if self.cfg.cross_video_negatives:
                cross_video = cross_video_logsumexp(z_visual, z_audio, step_mask, tau)
            loss = coherence_infonce_loss(correspondence, step_mask, band, tau, cross_video)
        return LCCResult(
            corrected_visual, corrected_audio, correspondence, coherence_visual, coherence_audio, gate_visual, gate_audio,
            gate_logits, loss,
        )

    def _add_banded_context(
        self, correspondence, step_mask, visual, audio, gate_visual, gate_audio, corrected_visual, corrected_audio
    ) -> tuple[Tensor, Tensor]:
        """Variant: ``x~ += g * W_o sum_{|s-t|<=w} softmax_s(S[t, s]/tau_c) x^other_s`` (row-softmax, band-summed)."""
        in_band = band_offsets(correspondence.shape[-1], correspondence.device) <= self.cfg.band
        pair_valid = step_mask[:, :, None] & step_mask[:, None, :]
        logits = (correspondence / self.cfg.coherence_temperature).masked_fill(~pair_valid, _MASKED_LOGIT)
        to_audio = torch.softmax(logits, dim=2) * in_band  # [B, Tv, Ta]
        to_visual = torch.softmax(logits, dim=1) * in_band  # [B, Tv, Ta], columns are audio anchors
        maskf = step_mask.to(visual.dtype)[:, None, :]
        audio_context = torch.bmm(audio, to_audio.transpose(1, 2))  # [B, D, Tv]
        visual_context = torch.bmm(visual, to_visual)  # [B, D, Ta]
        corrected_visual = corrected_visual + gate_visual[:, None, :] * self.aggregate_visual(audio_context) * maskf
        corrected_audio = corrected_audio + gate_audio[:, None, :] * self.aggregate_audio(visual_context) * maskf
        return corrected_visual, corrected_audio
