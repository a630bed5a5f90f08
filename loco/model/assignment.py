"""Label assignment of ground-truth segments to pyramid points (docs/model.md §5, ActionFormer without centre sampling).

Level ``l`` has points at steps ``i * 2^l``. A point is positive for a segment when it lies strictly inside it and
``max(left, right)`` (in steps) falls in the level's regression range (bounds inclusive, as in ActionFormer). Targets are
class-aware: a point is positive for every class with such a segment, and regresses, per class, the shortest one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class SegmentTargets:
    """Ground truth of one video: ``segments [N, 2]`` (start, end) in feature steps, ``labels [N]`` class ids."""

    segments: Tensor
    labels: Tensor


@dataclass
class AssignedTargets:
    """Targets over the concatenated points of all levels."""

    classes: Tensor  # [P, C] multi-hot
    offsets: Tensor  # [P, C, 2] (left, right) in units of the point's stride; meaningful where classes == 1
    shortest: Tensor  # [P, 2] offsets of the shortest positive segment of any class (class-agnostic regression)


def level_points(level_lengths: list[int], device: torch.device | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Positions (steps), strides and level ids of every point, levels concatenated."""
    positions, strides, levels = [], [], []
    for level, length in enumerate(level_lengths):
        stride = 2**level
        positions.append(torch.arange(length, device=device, dtype=torch.float32) * stride)
        strides.append(torch.full((length,), float(stride), device=device))
        levels.append(torch.full((length,), level, device=device, dtype=torch.long))
    return torch.cat(positions), torch.cat(strides), torch.cat(levels)


def steps_inside_events(target: SegmentTargets, length: int) -> Tensor:
    """``[length]`` bool: the steps strictly inside any of the video's segments (whatever the class), by the same
    rule that makes a level-0 point positive."""
    steps = torch.arange(length, device=target.segments.device, dtype=torch.float32)
    segments = target.segments.to(torch.float32).reshape(-1, 2)
    inside = (steps[:, None] > segments[None, :, 0]) & (steps[:, None] < segments[None, :, 1])
    return inside.any(dim=1)


def assign_targets(
    target: SegmentTargets, level_lengths: list[int], regression_ranges: list[list[float]], num_classes: int
) -> AssignedTargets:
    if len(regression_ranges) < len(level_lengths):
        raise ValueError(f"{len(level_lengths)} levels but only {len(regression_ranges)} regression ranges")
    device = target.segments.device
    positions, strides, levels = level_points(level_lengths, device)
    num_points = positions.shape[0]
    classes = torch.zeros(num_points, num_classes, device=device)
    offsets = torch.zeros(num_points, num_classes, 2, device=device)
    shortest = torch.zeros(num_points, 2, device=device)
    segments = target.segments.to(torch.float32).reshape(-1, 2)
    labels = target.labels.to(device=device, dtype=torch.long).reshape(-1)
    if segments.shape[0] == 0:
        return AssignedTargets(classes, offsets, shortest)
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"segment labels must lie in [0, {num_classes}), got {labels.tolist()}")
    ranges = torch.tensor(regression_ranges, dtype=torch.float32, device=device)[levels]  # [P, 2]
    left = positions[:, None] - segments[None, :, 0]  # [P, N]
    right = segments[None, :, 1] - positions[:, None]
    distance = torch.maximum(left, right)
    positive = (left > 0) & (right > 0) & (distance >= ranges[:, :1]) & (distance <= ranges[:, 1:])
    lengths = (segments[:, 1] - segments[:, 0])[None, :].expand(num_points, -1)
    pair_offsets = torch.stack((left, right), dim=-1) / strides[:, None, None]  # [P, N, 2]
    points = torch.arange(num_points, device=device)

    def shortest_of(candidates: Tensor) -> tuple[Tensor, Tensor]:
        masked = torch.where(candidates, lengths, torch.full_like(lengths, float("inf")))
        best = masked.argmin(dim=1)
        return candidates.any(dim=1), pair_offsets[points, best]

    any_positive, shortest_offsets = shortest_of(positive)
    shortest[any_positive] = shortest_offsets[any_positive]
    for label in labels.unique().tolist():
        has_class, class_offsets = shortest_of(positive & (labels == label)[None, :])
        classes[has_class, label] = 1.0
        offsets[has_class, label] = class_offsets[has_class]
    return AssignedTargets(classes, offsets, shortest)
