"""Optional UnAV-style dependency block on the fused features (docs/model.md §5), off in the compact config.

UnAV models that audio-visual events co-occur and depend on each other in time. Its exact block is not reproduced
here; this is a faithful-in-spirit version (our design, config flag ``model.dependency_block``):
1. class tokens (one learnable query per class) gather evidence from the time axis (masked cross-attention);
2. class tokens attend to each other (class co-occurrence);
3. every time step reads the class tokens back (class-conditioned temporal context);
4. a temporal self-attention block mixes the steps.
It runs once per pyramid level with shared weights and keeps the channel width (2D).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from loco.model.blocks import AffineDropPath, TransformerBlock


class _TokenAttention(nn.Module):
    """Pre-LN multi-head attention + MLP on ``[B, N, C]`` token sets, with optional key padding mask."""

    def __init__(self, dim: int, num_heads: int, drop_path: float) -> None:
        super().__init__()
        self.norm_query = nn.LayerNorm(dim)
        self.norm_key = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.drop_attn = AffineDropPath(dim, drop_path, channels_last=True)
        self.drop_mlp = AffineDropPath(dim, drop_path, channels_last=True)

    def forward(self, queries: Tensor, keys: Tensor, key_padding: Tensor | None = None) -> Tensor:
        keys_normed = self.norm_key(keys)
        attended, _ = self.attention(
            self.norm_query(queries), keys_normed, keys_normed, key_padding_mask=key_padding, need_weights=False
        )
        out = queries + self.drop_attn(attended)
        return out + self.drop_mlp(self.mlp(self.norm_mlp(out)))


class DependencyBlock(nn.Module):
    def __init__(self, dim: int, num_classes: int, num_heads: int, drop_path: float = 0.1) -> None:
        super().__init__()
        self.class_tokens = nn.Parameter(torch.randn(num_classes, dim) * 0.02)
        self.gather = _TokenAttention(dim, num_heads, drop_path)
        self.co_occurrence = _TokenAttention(dim, num_heads, drop_path)
        self.scatter = _TokenAttention(dim, num_heads, drop_path)
        self.temporal = TransformerBlock(dim, num_heads, drop_path=drop_path)

    def forward(self, fused: Tensor, mask: Tensor) -> Tensor:
        """``fused [B, 2D, T]``, ``mask [B, 1, T]`` -> same shape, zero at padded steps."""
        steps = fused.transpose(1, 2)  # [B, T, C]
        padding = ~mask[:, 0, :]
        classes = self.class_tokens.unsqueeze(0).expand(fused.shape[0], -1, -1)
        classes = self.gather(classes, steps, padding)
        classes = self.co_occurrence(classes, classes)
        steps = self.scatter(steps, classes) * mask[:, 0, :, None].to(steps.dtype)
        out, _, _ = self.temporal(steps.transpose(1, 2), mask)
        return out
