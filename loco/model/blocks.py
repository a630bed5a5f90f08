"""Building blocks shared by every part of LoCo (ActionFormer style, tensors laid out ``[B, C, T]``).

Masks are boolean ``[B, 1, T]`` (True = a real step). Every block zeroes padded steps *before* a convolution reads
them and re-masks its output, so the valid part of a sequence never depends on how much padding follows it.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def downsample_mask(mask: Tensor, stride: int) -> Tensor:
    """Nearest-neighbour down-sampling of a ``[B, 1, T]`` mask: token ``i`` keeps step ``i * stride``.

    The length is ``ceil(T / stride)``, the output length of a k3/p1 convolution with that stride, so any T works.
    """
    return mask if stride == 1 else mask[..., ::stride]


class MaskedConv1D(nn.Module):
    """Conv1d (odd kernel, same padding) that reads zeros at padded steps and zeroes its padded outputs."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1, bias: bool = True
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"MaskedConv1D needs an odd kernel, got {kernel_size}")
        self.stride = stride
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=bias)
        self.depthwise = groups == in_channels == out_channels and not bias
        if bias:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        out_mask = downsample_mask(mask, self.stride)
        x = x * mask
        out = self._depthwise(x, out_mask.shape[-1]) if self.depthwise else self.conv(x)
        return out * out_mask, out_mask

    def _depthwise(self, x: Tensor, out_length: int) -> Tensor:
        """Depthwise conv as a sum of shifted slices: the same result as ``self.conv``, several times faster on CPU
        for the small kernels used here (PyTorch's grouped conv falls back to a slow path)."""
        kernel = self.conv.weight.shape[-1]
        padded = F.pad(x, (kernel // 2, kernel // 2))
        span = self.stride * (out_length - 1) + 1
        out = None
        for tap in range(kernel):
            term = padded[..., tap : tap + span : self.stride] * self.conv.weight[None, :, 0, tap, None]
            out = term if out is None else out + term
        return out


class Pointwise(nn.Conv1d):
    """1x1 Conv1d computed as a matrix product (same parameters as ``nn.Conv1d``): PyTorch's convolution takes a slow
    path for k=1 on CPU, the matrix product does not."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        out = torch.matmul(self.weight[:, :, 0], x)
        return out if self.bias is None else out + self.bias[:, None]


class LayerNorm(nn.Module):
    """LayerNorm over the channel axis of ``[B, C, T]`` (normalises each step on its own)."""

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(1, num_channels, 1))
        self.bias = nn.Parameter(torch.zeros(1, num_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        centred = x - x.mean(dim=1, keepdim=True)
        scale = torch.rsqrt(centred.pow(2).mean(dim=1, keepdim=True) + self.eps)
        return torch.addcmul(self.bias, centred * scale, self.weight)


class AffineDropPath(nn.Module):
    """Stochastic depth with a learnable per-channel scale (init 1e-4), so deep residual stacks start near identity."""

    def __init__(
        self, num_channels: int, drop_prob: float = 0.0, init_scale: float = 1e-4, channels_last: bool = False
    ) -> None:
        super().__init__()
        shape = (1, 1, num_channels) if channels_last else (1, num_channels, 1)
        self.scale = nn.Parameter(init_scale * torch.ones(shape))
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        x = self.scale * x
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        sample = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * sample / keep


def masked_max_pool(x: Tensor, mask: Tensor, stride: int) -> tuple[Tensor, Tensor]:
    """Max-pool k3 (stride ``stride``) that treats padded steps as absent (-inf), not as zeros."""
    if stride == 1:
        return x, mask
    out_mask = downsample_mask(mask, stride)
    pooled = F.max_pool1d(x.masked_fill(~mask, float("-inf")), kernel_size=stride + 1, stride=stride, padding=1)
    return pooled.masked_fill(~out_mask, 0.0), out_mask


class ConvProjection(nn.Module):
    """Q/K/V projection of ActionFormer: depthwise conv k3 (optionally strided) -> LayerNorm -> 1x1 projection."""

    def __init__(self, dim: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = MaskedConv1D(dim, dim, 3, stride=stride, groups=dim, bias=False)
        self.norm = LayerNorm(dim)
        self.proj = Pointwise(dim, dim)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        out, out_mask = self.conv(x, mask)
        return self.proj(self.norm(out)), out_mask


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """``[B, D, T]`` -> ``[B, H, T, D/H]``, contiguous: the fused attention kernels (memory O(T), not O(T^2)) take
    only inputs whose last dimension is contiguous, and fall back to materialising the T x T weights otherwise."""
    batch, dim, length = x.shape
    return x.view(batch, num_heads, dim // num_heads, length).transpose(2, 3).contiguous()


def merge_heads(x: Tensor) -> Tensor:
    """``[B, H, T, d]`` -> ``[B, H*d, T]``."""
    batch, heads, length, head_dim = x.shape
    return x.transpose(2, 3).reshape(batch, heads * head_dim, length)


def masked_logit(dtype: torch.dtype) -> float:
    """The logit of an excluded key: finite, so a query with no allowed key (a padded one) gives no NaN."""
    return torch.finfo(dtype).min


def dense_attention(
    query: Tensor, key: Tensor, value: Tensor, key_mask: Tensor, logit_bias: Tensor | None, need_weights: bool
) -> tuple[Tensor, Tensor | None]:
    """Softmax attention over all valid keys. ``key_mask`` is ``[B, Tk]``; ``logit_bias`` broadcasts to the logits.

    Without weights it uses the fused kernel; with weights it materialises them (only for the UI's internals).
    """
    allowed = key_mask[:, None, None, :]
    if not need_weights:
        if logit_bias is None:
            attn_mask = allowed
        else:
            attn_mask = logit_bias.masked_fill(~allowed, masked_logit(logit_bias.dtype))
        return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask), None
    logits = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(query.shape[-1])
    if logit_bias is not None:
        logits = logits + logit_bias
    weights = torch.softmax(logits.masked_fill(~allowed, masked_logit(logits.dtype)), dim=-1)
    return torch.matmul(weights, value), weights


AttentionFn = Callable[[Tensor, Tensor, Tensor, Tensor, bool], tuple[Tensor, Tensor | None]]
"""``(query, key, value, key_mask [B, Tk], need_weights) -> (output [B, H, Tq, d], weights or None)``."""


class MultiHeadConvAttention(nn.Module):
    """Masked multi-head attention with conv Q/K/V projections (ActionFormer's MaskedMHCA).

    ``x`` supplies keys and values, ``query_source`` the queries (the same tensor for self-attention, the other
    modality for UnAV's cross-modal blocks). With ``stride`` 2 all three projections down-sample, as in UnAV's pyramid.
    """

    def __init__(self, dim: int, num_heads: int, stride: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"embed dim {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.query = ConvProjection(dim, stride)
        self.key = ConvProjection(dim, stride)
        self.value = ConvProjection(dim, stride)
        self.out_proj = Pointwise(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        query_source: Tensor,
        mask: Tensor,
        attend: AttentionFn | None = None,
        need_weights: bool = False,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        query, out_mask = self.query(query_source, mask)
        key, _ = self.key(x, mask)
        value, _ = self.value(x, mask)
        q, k, v = (split_heads(t, self.num_heads) for t in (query, key, value))
        key_mask = out_mask[:, 0, :]
        if attend is None:
            out, weights = dense_attention(q, k, v, key_mask, None, need_weights)
        else:
            out, weights = attend(q, k, v, key_mask, need_weights)
        out = self.dropout(self.out_proj(merge_heads(out))) * out_mask
        return out, out_mask, weights


class TransformerBlock(nn.Module):
    """Pre-LN transformer block (ActionFormer): attention + MLP D->4D->D, each behind an affine drop path.

    With ``cross=True`` the queries come from a second stream (its own LayerNorm); with ``stride`` 2 the skip path is a
    masked max-pool k3 s2, as in UnAV's down-sampling levels.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        stride: int = 1,
        cross: bool = False,
        mlp_ratio: int = 4,
        drop_path: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stride = stride
        self.norm_attn = LayerNorm(dim)
        self.norm_query = LayerNorm(dim) if cross else None
        self.attention = MultiHeadConvAttention(dim, num_heads, stride, dropout)
        self.norm_mlp = LayerNorm(dim)
        self.mlp = nn.Sequential(
            Pointwise(dim, mlp_ratio * dim),
            nn.GELU(),
            nn.Dropout(dropout),
            Pointwise(mlp_ratio * dim, dim),
            nn.Dropout(dropout),
        )
        self.drop_path_attn = AffineDropPath(dim, drop_path)
        self.drop_path_mlp = AffineDropPath(dim, drop_path)

    def forward(
        self,
        x: Tensor,
        mask: Tensor,
        query_source: Tensor | None = None,
        attend: AttentionFn | None = None,
        need_weights: bool = False,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        normed = self.norm_attn(x)
        if self.norm_query is None:
            queries = normed
        else:
            if query_source is None:
                raise ValueError("a cross-modal block needs the other stream as query_source")
            queries = self.norm_query(query_source)
        attended, out_mask, weights = self.attention(normed, queries, mask, attend, need_weights)
        skip, _ = masked_max_pool(x, mask, self.stride)
        out = skip + self.drop_path_attn(attended)
        out = out + self.drop_path_mlp(self.mlp(self.norm_mlp(out)) * out_mask)
        return out, out_mask, weights


class ConvNormReLUStack(nn.Module):
    """``num_layers`` x [masked conv k3 (no bias) -> LayerNorm over channels -> ReLU], zero at padded steps: the
    modality embedding (docs/model.md §2) and the trunk of both heads (§5)."""

    def __init__(self, in_dim: int, dim: int, num_layers: int = 2) -> None:
        super().__init__()
        self.convs = nn.ModuleList(MaskedConv1D(in_dim if i == 0 else dim, dim, 3, bias=False) for i in range(num_layers))
        self.norms = nn.ModuleList(LayerNorm(dim) for _ in range(num_layers))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for conv, norm in zip(self.convs, self.norms):
            x, _ = conv(x, mask)
            x = norm(x).relu() * mask
        return x
