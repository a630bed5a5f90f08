"""The LoCo detector (docs/model.md). ``build_model(cfg)`` is the entry point; see ``loco.model.loco``."""

from __future__ import annotations

import torch

from loco.config import ModelConfig
from loco.model.assignment import SegmentTargets
from loco.model.internals import BatchInternals, VideoInternals
from loco.model.loco import LoCo, LoCoOutput, LossBreakdown, ModelInputError

__all__ = [
    "BatchInternals", "LoCo", "LoCoOutput", "LossBreakdown", "ModelInputError", "SegmentTargets", "VideoInternals",
    "build_model",
]


def build_model(cfg: ModelConfig, seed: int | None = None) -> LoCo:
    """Build LoCo from its config; with ``seed`` the initial weights are reproducible without touching global RNG."""
    if seed is None:
        return LoCo(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return LoCo(cfg)
