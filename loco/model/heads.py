"""Classification and regression heads shared across pyramid levels (docs/model.md §5, ActionFormer style)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from loco.model.blocks import ConvNormReLUStack, MaskedConv1D


class ClassificationHead(nn.Module):
    """Trunk -> conv k3 -> C logits, bias set so every class starts at probability ``prior_prob``."""

    def __init__(self, in_dim: int, dim: int, num_classes: int, prior_prob: float = 0.01) -> None:
        super().__init__()
        self.trunk = ConvNormReLUStack(in_dim, dim)
        self.out = MaskedConv1D(dim, num_classes, 3)
        nn.init.constant_(self.out.conv.bias, -math.log((1.0 - prior_prob) / prior_prob))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``[B, in_dim, T_l]`` -> logits ``[B, T_l, C]``."""
        logits, _ = self.out(self.trunk(x, mask), mask)
        return logits.transpose(1, 2)


class RegressionHead(nn.Module):
    """Trunk -> conv k3 -> 2 distances per class (class-aware) or 2, times a learnable per-level scale, ReLU.

    Distances are in units of the level's stride.
    """

    def __init__(self, in_dim: int, dim: int, num_levels: int, num_outputs: int) -> None:
        super().__init__()
        self.num_outputs = num_outputs
        self.trunk = ConvNormReLUStack(in_dim, dim)
        self.out = MaskedConv1D(dim, 2 * num_outputs, 3)
        self.scales = nn.Parameter(torch.ones(num_levels))

    def forward(self, x: Tensor, mask: Tensor, level: int) -> Tensor:
        """``[B, in_dim, T_l]`` -> ``[B, T_l, num_outputs, 2]`` (squeezed to ``[B, T_l, 2]`` for one output)."""
        offsets, _ = self.out(self.trunk(x, mask), mask)
        offsets = torch.relu(offsets * self.scales[level])
        batch, _, length = offsets.shape
        offsets = offsets.view(batch, self.num_outputs, 2, length).permute(0, 3, 1, 2)
        return offsets[:, :, 0] if self.num_outputs == 1 else offsets
