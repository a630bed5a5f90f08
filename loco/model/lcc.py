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

``S`` is never stored: every quantity above reads it a block of rows at a time (:class:`Correspondence`), the
band directly and each row's softmax normaliser by a chunked logsumexp, so memory is O(T * w) plus one block for any
length while the numbers are those of the ``T x T`` formulas. Only the cross-video option (training, off by default)
builds the batch's ``[B, T, B, T]`` scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from loco.config import LCCConfig
from loco.model.banded import band_columns, band_shift_sum, band_validity, blockwise, rows_per_block
from loco.model.blocks import Pointwise

_MASKED_LOGIT = -1e9  # finite, so rows with no valid entry stay NaN-free (they are weighted out anyway)


RowBlock = Callable[[int, int], Tensor]
"""``(start, stop) -> S[:, start:stop, :]``: a block of rows of a correspondence matrix, computed or sliced."""


@dataclass(frozen=True)
class Correspondence:
    """``S`` by blocks of rows in both directions, never stored whole: ``visual_rows`` gives rows of ``S`` (visual
    anchors against audio steps), ``audio_rows`` rows of ``S^T``."""

    visual_rows: RowBlock
    audio_rows: RowBlock

    @classmethod
    def of_vectors(cls, z_visual: Tensor, z_audio: Tensor) -> "Correspondence":
        """From the two streams' unit vectors ``[B, D, T]``: ``S[t, s] = <z^v_t, z^a_s>``, one block at a time."""

        def rows(anchors: Tensor, others: Tensor) -> RowBlock:
            return lambda start, stop: torch.bmm(anchors[:, :, start:stop].transpose(1, 2), others)

        return cls(rows(z_visual, z_audio), rows(z_audio, z_visual))

    @classmethod
    def of_matrix(cls, matrix: Tensor) -> "Correspondence":
        """From a stored ``[B, T, T]`` matrix (short inputs, tests)."""
        return cls(lambda start, stop: matrix[:, start:stop], lambda start, stop: matrix.transpose(1, 2)[:, start:stop])


@dataclass(frozen=True)
class RowSums:
    """Per anchor step ``t`` (one direction), over the valid steps ``s`` of the other modality: the band values
    ``S[t, t + j - w]`` and two streamed normalisers of ``S / tau``."""

    band: Tensor  # [B, T, 2w + 1] raw S values (meaningless where band_validity is False)
    log_band: Tensor  # [B, T] log sum exp over |t - s| <= w
    log_rest: Tensor  # [B, T] log sum exp over |t - s| > beyond (every step when beyond < 0)


def row_sums(rows: RowBlock, mask: Tensor, band: int, temperature: float, beyond: int = -1) -> RowSums:
    """The normalisers of every row of ``S / tau``, a block of rows at a time (a chunked logsumexp: O(block * T)
    memory, never ``T x T``); ``mask [B, T]`` marks the valid steps of the other modality."""
    batch, length = mask.shape
    columns_valid = mask[:, None, :]
    steps = torch.arange(length, device=mask.device)

    def block(start: int, stop: int) -> Tensor:
        scores = rows(start, stop)  # [B, c, T]
        logits = (scores / temperature).masked_fill(~columns_valid, _MASKED_LOGIT)
        if beyond >= 0:
            near = (steps[start:stop, None] - steps[None, :]).abs() <= beyond
            logits = logits.masked_fill(near, _MASKED_LOGIT)
        columns = band_columns(start, stop, band, mask.device).clamp(0, length - 1)
        values = torch.gather(scores, 2, columns.expand(batch, -1, -1))
        return torch.cat((values, torch.logsumexp(logits, dim=2)[..., None]), dim=-1)

    sums = blockwise(block, length, rows_per_block(batch * length))
    values, log_rest = sums[..., :-1], sums[..., -1]
    inside = band_validity(mask, band)
    log_band = torch.logsumexp((values / temperature).masked_fill(~inside, _MASKED_LOGIT), dim=2)
    return RowSums(values, log_band, log_rest)


def _as_correspondence(correspondence: Tensor | Correspondence) -> Correspondence:
    return Correspondence.of_matrix(correspondence) if isinstance(correspondence, Tensor) else correspondence


def _coherence(sums: RowSums, mask: Tensor) -> Tensor:
    return torch.exp(sums.log_band - sums.log_rest) * mask.to(sums.band.dtype)


def local_coherence(
    correspondence: Tensor | Correspondence, mask: Tensor, band: int, temperature: float
) -> tuple[Tensor, Tensor]:
    """Share of each step's softmax affinity (over valid steps of the other modality) inside the band.

    ``correspondence`` ``[B, T, T]`` (visual rows, audio columns) or its blocks, ``mask [B, T]`` ->
    ``(c_v [B, T], c_a [B, T])``, zero at padded steps. The softmax normaliser is streamed over each row.
    """
    correspondence = _as_correspondence(correspondence)
    visual = row_sums(correspondence.visual_rows, mask, band, temperature)
    audio = row_sums(correspondence.audio_rows, mask, band, temperature)
    return _coherence(visual, mask), _coherence(audio, mask)


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
    correspondence: Tensor | Correspondence, mask: Tensor, band: int, temperature: float,
    cross_video: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Label-free multi-positive InfoNCE in both directions, ``½(l_v->a + l_a->v)``, averaged per video then batch.

    For an anchor step, ``-log( sum_pos exp(S/tau) / sum_{pos u neg} exp(S/tau) )`` with positives ``|t-s| <= w``,
    negatives ``|t-s| > 2w`` and the guard band in between left out, so long events are not pushed apart.
    Padded steps are neither anchors nor candidates. An anchor without negatives (very short video) adds 0.
    ``cross_video`` (from :func:`cross_video_logsumexp`) adds the batch's other videos to every anchor's negatives.
    The negatives' normaliser is streamed over each row (``correspondence`` as ``[B, T, T]`` or its blocks).
    """
    correspondence = _as_correspondence(correspondence)
    maskf = mask.to(torch.float32)
    per_video = []
    for direction, rows in enumerate((correspondence.visual_rows, correspondence.audio_rows)):
        sums = row_sums(rows, mask, band, temperature, beyond=2 * band)
        denominator = torch.logaddexp(sums.log_band, sums.log_rest)  # [B, T]
        if cross_video is not None:
            denominator = torch.logaddexp(denominator, cross_video[direction])
        nll = denominator - sums.log_band
        per_video.append((nll * maskf).sum(dim=1) / maskf.sum(dim=1).clamp(min=1))
    return (0.5 * (per_video[0] + per_video[1])).mean()


@dataclass(frozen=True)
class LCCResult:
    visual: Tensor  # corrected visual features [B, D, T]
    audio: Tensor
    z_visual: Tensor  # unit vectors [B, D/2, T] whose dot products are S
    z_audio: Tensor
    coherence_visual: Tensor  # [B, T]
    coherence_audio: Tensor
    gate_visual: Tensor  # [B, T]
    gate_audio: Tensor
    gate_logits: Tensor  # [B, 2, T] (visual, audio): alpha c + beta (or alpha S[t, t] + beta), before the sigmoid
    loss: Tensor | None  # scalar, unweighted; only computed in training mode (inference does not need it)

    @property
    def correspondence(self) -> Tensor:
        """``S [B, T, T]`` built whole: for short inputs only (the module itself never builds it)."""
        return torch.bmm(self.z_visual.transpose(1, 2), self.z_audio)


class LocalityCorrespondence(nn.Module):
    """Projects both streams to D/2, compares them (S), computes coherence and gates, corrects the features, returns
    the loss. S is read a block of rows at a time: memory O(T * w) plus one block, for any length."""

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
        correspondence = Correspondence.of_vectors(z_visual, z_audio)
        band, tau_c = self.cfg.band, self.cfg.coherence_temperature
        visual_sums = row_sums(correspondence.visual_rows, step_mask, band, tau_c)
        audio_sums = row_sums(correspondence.audio_rows, step_mask, band, tau_c)
        coherence_visual, coherence_audio = _coherence(visual_sums, step_mask), _coherence(audio_sums, step_mask)
        maskf = step_mask.to(visual.dtype)
        if self.cfg.gate_input == "agreement":
            gate_input = visual_sums.band[:, None, :, band].expand(-1, 2, -1)  # S[t, t]
        else:
            gate_input = torch.stack((coherence_visual, coherence_audio), dim=1)  # [B, 2, T]
        gate_logits = self.gate_alpha[None, :, None] * gate_input + self.gate_beta[None, :, None]
        gate_visual, gate_audio = (torch.sigmoid(gate_logits) * maskf[:, None, :]).unbind(dim=1)
        corrected_visual = visual * (1.0 + gate_visual[:, None, :])
        corrected_audio = audio * (1.0 + gate_audio[:, None, :])
        if self.aggregate_visual is not None:
            inside = band_validity(step_mask, band).to(visual.dtype)
            to_audio = torch.exp(visual_sums.band / tau_c - visual_sums.log_rest[..., None]) * inside
            to_visual = torch.exp(audio_sums.band / tau_c - audio_sums.log_rest[..., None]) * inside
            context_visual = self.aggregate_visual(band_shift_sum(to_audio, audio)) * maskf[:, None, :]
            context_audio = self.aggregate_audio(band_shift_sum(to_visual, visual)) * maskf[:, None, :]
            corrected_visual = corrected_visual + gate_visual[:, None, :] * context_visual
            corrected_audio = corrected_audio + gate_audio[:, None, :] * context_audio
        loss = None
        if self.training:
            tau, cross_video = self.cfg.loss_temperature, None
            if self.cfg.cross_video_negatives:
                cross_video = cross_video_logsumexp(z_visual, z_audio, step_mask, tau)
            loss = coherence_infonce_loss(correspondence, step_mask, band, tau, cross_video)
        return LCCResult(
            corrected_visual, corrected_audio, z_visual, z_audio, coherence_visual, coherence_audio, gate_visual,
            gate_audio, gate_logits, loss,
        )
