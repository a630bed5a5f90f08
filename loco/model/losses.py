"""Detection losses (docs/model.md §5): sigmoid focal loss, 1-D distance-IoU loss, EMA of the positive count."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2.0) -> Tensor:
    """Summed focal loss (RetinaNet) over every element; ``targets`` in [0, 1], same shape as ``logits``."""
    probability = torch.sigmoid(logits)
    cross_entropy = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = probability * targets + (1 - probability) * (1 - targets)
    loss = cross_entropy * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss.sum()


def diou_loss_1d(predicted: Tensor, target: Tensor, eps: float = 1e-8) -> Tensor:
    """Summed 1-D distance-IoU loss between ``[N, 2]`` (left, right) distances from the same anchor points.

    ``1 - IoU + (centre distance / enclosing length)^2``, as in ActionFormer's ``ctr_diou_loss_1d``.
    """
    pred_left, pred_right = predicted.unbind(-1)
    target_left, target_right = target.unbind(-1)
    intersection = torch.minimum(pred_left, target_left) + torch.minimum(pred_right, target_right)
    union = pred_left + pred_right + target_left + target_right - intersection
    iou = intersection / union.clamp(min=eps)
    enclosing = torch.maximum(pred_left, target_left) + torch.maximum(pred_right, target_right)
    centre_distance = 0.5 * (pred_right - pred_left - target_right + target_left)
    return (1.0 - iou + (centre_distance / enclosing.clamp(min=eps)) ** 2).sum()


class PositiveCountEMA(nn.Module):
    """Loss normaliser ``N <- m N + (1 - m) max(#pos, 1)``, kept as a buffer so it is saved with the weights."""

    def __init__(self, momentum: float = 0.9, initial: float = 100.0) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("value", torch.tensor(float(initial)))

    def forward(self, num_positives: Tensor | float, update: bool = True) -> Tensor:
        if update:
            count = torch.as_tensor(num_positives, dtype=self.value.dtype, device=self.value.device).clamp(min=1)
            self.value.mul_(self.momentum).add_((1 - self.momentum) * count.detach())
        return self.value
