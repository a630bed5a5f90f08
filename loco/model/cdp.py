"""CDP: Cross-modal Dynamic Perception (docs/model.md §4).

Dense cross-modal attention is replaced by attention over a soft local window around each query token:
``m[h,i,j] = sigmoid((j - i + dL[h,i]) / kappa) * sigmoid((i + dR[h,i] - j) / kappa)`` and
``logits += log(m + 1e-6)``. Modes: ``dense`` (UnAV baseline, no window), ``fixed`` (dL = dR = w) and ``adaptive``
(dL, dR predicted per head and token, in [0, r_max]).

Keys farther than ``radius = ceil(r_max + band_margin * kappa)`` tokens are excluded (weight 0) in both code paths: the
full ``T x T`` path for short levels and a chunked local path (cost ``O(T * radius)``) for long ones, which
therefore compute the same function. Beyond the radius the soft mask is below ``sigmoid(-band_margin)``. The weights
the UI keeps come from the chunked path as a band of ``2 * radius + 1`` keys per query (``loco.model.banded``), so
asking for them costs O(T * radius) too.

Our choice (the paper's code is not public): one window predictor per pyramid level, fed ``[LN(x^v); LN(x^a)]``, whose
windows both directions use, so the UI shows one window per level, head and token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from loco.config import CDPConfig
from loco.model.banded import AttentionWeights, skew_band
from loco.model.blocks import LayerNorm, MaskedConv1D, Pointwise, dense_attention, masked_logit

_WINDOW_FLOOR = 1e-6


@dataclass
class WindowExtents:
    """Left/right window extents in tokens of the level, ``[B, H, T_l]`` each."""

    left: Tensor
    right: Tensor


def window_radius(cfg: CDPConfig) -> int:
    extent = cfg.max_extent if cfg.mode == "adaptive" else cfg.fixed_extent
    return int(math.ceil(extent + cfg.band_margin * cfg.kappa))


def log_soft_window(offsets: Tensor, window: WindowExtents, kappa: float) -> Tensor:
    """``log(m + 1e-6)`` for key offsets ``j - i``; ``offsets`` broadcasts against ``[B, H, T, K]``."""
    left = window.left[..., None]
    right = window.right[..., None]
    mask = torch.sigmoid((offsets + left) / kappa) * torch.sigmoid((right - offsets) / kappa)
    return torch.log(mask + _WINDOW_FLOOR)


def windowed_attention_full(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, window: WindowExtents, kappa: float, radius: int,
    need_weights: bool,
) -> tuple[Tensor, Tensor | None]:
    """Soft-window attention with the full ``T x T`` logits (short sequences, or when the UI wants the matrix)."""
    length = query.shape[2]
    steps = torch.arange(length, device=query.device, dtype=query.dtype)
    offsets = steps[None, :] - steps[:, None]  # [T_query, T_key] = j - i
    bias = log_soft_window(offsets, window, kappa)
    bias = bias.masked_fill(offsets.abs() > radius, masked_logit(bias.dtype))
    return dense_attention(query, key, value, key_mask, bias, need_weights)


def _windowed_blocks(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, window: WindowExtents, kappa: float, radius: int,
    chunk: int | None,
) -> tuple[Tensor, Tensor]:
    """Blocks of ``chunk`` queries against the ``chunk + 2 * radius`` keys around them: the output ``[B, H, T, d]``
    and the weights ``[B, H, n, chunk, chunk + 2 radius]`` (query ``q`` of a block sees keys ``q - r ..`` on)."""
    batch, heads, length, head_dim = query.shape
    chunk = min(chunk or max(16, 2 * radius), length)
    num_chunks = -(-length // chunk)
    tail = num_chunks * chunk - length
    span = chunk + 2 * radius

    def key_windows(x: Tensor) -> Tensor:  # [B, H, n, span, d]
        return F.pad(x, (0, 0, radius, tail + radius)).unfold(2, span, chunk).transpose(-1, -2)

    queries = F.pad(query, (0, 0, 0, tail)).view(batch, heads, num_chunks, chunk, head_dim)
    logits = torch.matmul(queries, key_windows(key).transpose(-1, -2)) / math.sqrt(head_dim)  # [B, H, n, chunk, span]
    steps = torch.arange(span, device=query.device, dtype=query.dtype)
    offsets = steps[None, :] - radius - torch.arange(chunk, device=query.device, dtype=query.dtype)[:, None]
    chunked_window = WindowExtents(
        *(F.pad(x, (0, tail)).view(batch, heads, num_chunks, chunk) for x in (window.left, window.right))
    )
    logits = logits + log_soft_window(offsets, chunked_window, kappa)
    key_valid = F.pad(key_mask, (radius, tail + radius), value=False).unfold(1, span, chunk)  # [B, n, span]
    allowed = key_valid[:, None, :, None, :] & (offsets.abs() <= radius)
    weights = torch.softmax(logits.masked_fill(~allowed, masked_logit(logits.dtype)), dim=-1)
    out = torch.matmul(weights, key_windows(value))  # [B, H, n, chunk, d]
    return out.reshape(batch, heads, num_chunks * chunk, head_dim)[:, :, :length], weights


def windowed_attention_chunked(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, window: WindowExtents, kappa: float, radius: int,
    chunk: int | None = None,
) -> Tensor:
    """The same attention computed per block of ``chunk`` queries against the ``chunk + 2 * radius`` keys around it.

    Cost ``O(T * (chunk + 2 radius))`` instead of ``O(T^2)``, with dense matrix products (no per-token gathers).
    Returns the output ``[B, H, T, d]``.
    """
    return _windowed_blocks(query, key, value, key_mask, window, kappa, radius, chunk)[0]


def windowed_attention_banded(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, window: WindowExtents, kappa: float, radius: int,
) -> tuple[Tensor, AttentionWeights]:
    """:func:`windowed_attention_chunked` that also returns its weights as a band ``[B, H, T, 2 radius + 1]``: every
    non-zero weight, in O(T * radius) memory (what the UI keeps)."""
    out, weights = _windowed_blocks(query, key, value, key_mask, window, kappa, radius, None)
    batch, heads, num_chunks, chunk, _ = weights.shape
    band = skew_band(weights, radius).reshape(batch, heads, num_chunks * chunk, 2 * radius + 1)
    return out, AttentionWeights(band[:, :, : query.shape[2]], None)


class WindowPredictor(nn.Module):
    """``[LN(x^v); LN(x^a)]`` -> conv k3 (level stride) -> GELU -> conv 1x1 -> 2H -> ``r_max * sigmoid``.

    The last layer starts at zero weights and a bias giving ``init_extent``, so every window starts at that size.
    """

    def __init__(self, dim: int, num_heads: int, stride: int, cfg: CDPConfig) -> None:
        super().__init__()
        if not 0.0 < cfg.init_extent < cfg.max_extent:
            raise ValueError(f"cdp.init_extent must lie in (0, max_extent), got {cfg.init_extent}")
        self.num_heads = num_heads
        self.max_extent = cfg.max_extent
        self.norm_visual = LayerNorm(dim)
        self.norm_audio = LayerNorm(dim)
        self.hidden = MaskedConv1D(2 * dim, dim, 3, stride=stride)
        self.out = Pointwise(dim, 2 * num_heads)
        nn.init.zeros_(self.out.weight)
        share = cfg.init_extent / cfg.max_extent
        nn.init.constant_(self.out.bias, math.log(share / (1.0 - share)))

    def forward(self, visual: Tensor, audio: Tensor, mask: Tensor) -> WindowExtents:
        features = torch.cat((self.norm_visual(visual), self.norm_audio(audio)), dim=1)
        hidden, _ = self.hidden(features, mask)
        extents = self.max_extent * torch.sigmoid(self.out(F.gelu(hidden)))  # [B, 2H, T_l]
        return WindowExtents(extents[:, : self.num_heads], extents[:, self.num_heads :])


class WindowedAttention:
    """An ``AttentionFn`` bound to one level's windows: the chunked path for long levels, the full matrix for short
    ones, and the banded weights whenever they are wanted (never a ``T x T`` matrix then)."""

    def __init__(self, window: WindowExtents, kappa: float, radius: int) -> None:
        self.window = window
        self.kappa = kappa
        self.radius = radius

    def __call__(self, query, key, value, key_mask, need_weights):
        if need_weights:
            return windowed_attention_banded(query, key, value, key_mask, self.window, self.kappa, self.radius)
        if query.shape[2] <= 4 * self.radius:
            return windowed_attention_full(query, key, value, key_mask, self.window, self.kappa, self.radius, False)
        return windowed_attention_chunked(query, key, value, key_mask, self.window, self.kappa, self.radius), None


def constant_window(batch: int, num_heads: int, length: int, extent: float, reference: Tensor) -> WindowExtents:
    """The fixed mode's window: ``dL = dR = extent`` everywhere."""
    value = reference.new_full((batch, num_heads, length), float(extent))
    return WindowExtents(value, value)
