"""T x T quantities kept in O(T * w) memory: bands around the diagonal, block-wise passes and pooled overviews.

A band of half-width ``r`` of a ``[.., T, T]`` matrix is stored as ``[.., T, 2r + 1]``: ``band[.., i, j]`` is the
entry at column ``i + j - r`` (zero, or excluded, where that column does not exist). Passes over a whole row (a
softmax normaliser, a dense attention) read one block of rows at a time, at most :data:`BLOCK_ELEMENTS` cells, so a
two-hour video (22,500 steps) never holds a 22,500 x 22,500 matrix. Under autograd each block is checkpointed: the
backward pass recomputes it instead of keeping it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from loco.model.blocks import dense_attention, masked_logit

BLOCK_ELEMENTS = 1 << 22
"""Cells of a T x T matrix one block-wise pass holds at once (16 MB in float32), whatever T."""

OVERVIEW_BINS = 256
"""Bins per axis of a dense attention's overview: exact up to 256 tokens, block-pooled beyond."""


def rows_per_block(rows_cost: int) -> int:
    """How many rows fit in one block when each row costs ``rows_cost`` cells."""
    return max(1, BLOCK_ELEMENTS // max(1, rows_cost))


def blockwise(fn: Callable[[int, int], Tensor], length: int, block: int) -> Tensor:
    """``fn(start, stop)`` over consecutive blocks of rows, concatenated along dim 2 (``[B, ?, rows, ...]`` outputs)
    or dim 1; checkpointed when autograd records, so only the inputs of each block are kept for backward."""
    pieces = []
    for start in range(0, length, block):
        stop = min(length, start + block)
        if torch.is_grad_enabled():
            pieces.append(checkpoint(fn, start, stop, use_reentrant=False))
        else:
            pieces.append(fn(start, stop))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=-2)


def skew_band(blocks: Tensor, radius: int) -> Tensor:
    """``[.., c, c + 2r]`` blocks whose row ``q`` holds keys ``q - r .. q + c - 1 + r`` (the local-attention layout)
    -> ``[.., c, 2r + 1]``: row ``q`` keeps keys ``q - r .. q + r``. A view trick, no gather."""
    chunk, span = blocks.shape[-2:]
    flat = F.pad(blocks.reshape(*blocks.shape[:-2], chunk * span), (0, chunk))
    return flat.view(*blocks.shape[:-2], chunk, span + 1)[..., : 2 * radius + 1]


def band_columns(start: int, stop: int, radius: int, device: torch.device | None = None) -> Tensor:
    """Column ``i + j - r`` of the band cells of rows ``start .. stop-1``, ``[stop - start, 2r + 1]`` (may fall
    outside the matrix)."""
    rows = torch.arange(start, stop, device=device)
    return rows[:, None] + torch.arange(-radius, radius + 1, device=device)[None, :]


def band_validity(mask: Tensor, radius: int) -> Tensor:
    """``mask [B, T]`` (valid steps) -> ``[B, T, 2r + 1]``: the band cell's column exists and is valid (its row's
    validity is the caller's business)."""
    columns = band_columns(0, mask.shape[1], radius, mask.device)
    inside = (columns >= 0) & (columns < mask.shape[1])
    return inside[None] & mask[:, columns.clamp(0, mask.shape[1] - 1)]


def band_shift_sum(weights: Tensor, x: Tensor) -> Tensor:
    """``sum_j weights[b, t, j] * x[b, :, t + j - r]`` for ``weights [B, T, 2r + 1]``, ``x [B, D, T]`` (zero
    beyond the ends): a banded matrix times a sequence, in O(T * r * D)."""
    radius = weights.shape[-1] // 2
    length = x.shape[-1]
    padded = F.pad(x, (radius, radius))
    out = None
    for j in range(2 * radius + 1):
        term = padded[..., j : j + length] * weights[:, None, :, j]
        out = term if out is None else out + term
    return out


def bin_membership(mask: Tensor, bins: int) -> Tensor:
    """``mask [B, T]`` (valid steps first) -> one-hot ``[B, T, K]``: each video's valid steps split into
    ``min(bins, valid)`` equal spans; padded steps belong to none."""
    valid = mask.sum(dim=1, keepdim=True).clamp(min=1)  # [B, 1]
    used = valid.clamp(max=bins)
    steps = torch.arange(mask.shape[1], device=mask.device)[None, :]
    index = torch.div(steps * used, valid, rounding_mode="floor").clamp(max=bins - 1)
    return F.one_hot(index, bins).to(torch.float32) * mask[..., None]


@dataclass(frozen=True)
class AttentionWeights:
    """What is kept of one attention's ``[B, H, T, T]`` weights: the band of keys within ``radius`` of each query,
    and for dense attention (weight beyond the band) an overview ``[B, H, K, K]``: the mean weight over each bin of
    queries and bin of keys (bins from :func:`bin_membership` with :data:`OVERVIEW_BINS`; the matrix itself up to
    that many tokens)."""

    band: Tensor  # [B, H, T, 2r + 1]
    overview: Tensor | None  # [B, H, K, K], None where all weight lies inside the band (windowed attention)

    @property
    def radius(self) -> int:
        return self.band.shape[-1] // 2

    def detach(self) -> "AttentionWeights":
        return AttentionWeights(self.band.detach(), None if self.overview is None else self.overview.detach())


def dense_attention_summary(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, radius: int
) -> tuple[Tensor, AttentionWeights]:
    """Dense softmax attention (as :func:`loco.model.blocks.dense_attention`) computed a block of queries at a time,
    keeping the weights as band and overview only: memory O(T * (r + K)) for any T, time still O(T^2)."""
    batch, heads, length, head_dim = query.shape
    members = bin_membership(key_mask, OVERVIEW_BINS).to(query.dtype)  # [B, T, K], same bins for queries and keys
    allowed = key_mask[:, None, None, :]

    def block(start: int, stop: int) -> Tensor:
        logits = torch.matmul(query[:, :, start:stop], key.transpose(-2, -1)) / math.sqrt(head_dim)
        weights = torch.softmax(logits.masked_fill(~allowed, masked_logit(logits.dtype)), dim=-1)
        columns = band_columns(start, stop, radius, query.device)
        inside = (columns >= 0) & (columns < length)
        band = torch.gather(weights, -1, columns.clamp(0, length - 1).expand(batch, heads, -1, -1)) * inside
        return torch.cat((torch.matmul(weights, value), band, torch.matmul(weights, members[:, None])), dim=-1)

    rows = blockwise(block, length, rows_per_block(batch * heads * (length + OVERVIEW_BINS)))
    out, band, key_mass = rows.split((head_dim, 2 * radius + 1, OVERVIEW_BINS), dim=-1)
    counts = members.sum(dim=1).clamp(min=1)  # [B, K] tokens per bin
    overview = torch.matmul(members[:, None].transpose(-2, -1), key_mass)
    overview = overview / (counts[:, None, :, None] * counts[:, None, None, :])
    return out, AttentionWeights(band, overview)


class DenseAttention:
    """An ``AttentionFn`` for levels that attend densely (the baseline): the fused kernel, or, when the weights are
    wanted, :func:`dense_attention_summary` with a band of ``radius`` keys."""

    def __init__(self, radius: int) -> None:
        self.radius = radius

    def __call__(self, query, key, value, key_mask, need_weights):
        if need_weights:
            return dense_attention_summary(query, key, value, key_mask, self.radius)
        return dense_attention(query, key, value, key_mask, None, False)
