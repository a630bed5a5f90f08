"""Sinusoidal absolute position embedding (ActionFormer/UnAV), scaled by 1/sqrt(D).

Sequences longer than ``max_seq_len`` are squeezed onto the trained range (ActionFormer interpolates its table); we
evaluate the sinusoids at the squeezed fractional positions instead, per video and from its *valid* length, so that
padding a batch never changes a video's embedding.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class SinusoidalPositionEmbedding(nn.Module):
    def __init__(self, dim: int, max_seq_len: int) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"the position embedding needs an even dim, got {dim}")
        self.dim = dim
        self.max_seq_len = max_seq_len
        frequencies = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
        self.register_buffer("frequencies", frequencies, persistent=False)

    def forward(self, mask: Tensor) -> Tensor:
        """``mask [B, 1, T]`` -> embedding ``[B, D, T]`` (zero at padded steps)."""
        length = mask.shape[-1]
        valid = mask[:, 0, :].sum(dim=1).clamp(min=1).to(torch.float32)  # [B]
        squeeze = torch.clamp((self.max_seq_len - 1) / (valid - 1).clamp(min=1), max=1.0)  # 1 within the trained range
        positions = torch.arange(length, dtype=torch.float32, device=mask.device)[None, :] * squeeze[:, None]  # [B, T]
        angles = positions[:, None, :] * self.frequencies[None, :, None]  # [B, D/2, T]
        embedding = torch.stack((angles.sin(), angles.cos()), dim=2).reshape(mask.shape[0], self.dim, length)
        return embedding / math.sqrt(self.dim) * mask.to(embedding.dtype)
