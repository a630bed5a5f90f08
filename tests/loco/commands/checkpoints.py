"""An untrained tiny checkpoint for the command tests (the commands only need a real, loadable file)."""

from __future__ import annotations

from pathlib import Path

from loco.checkpoint import save_checkpoint
from loco.grid import UNAV_GRID
from loco.model import build_model
from tests.loco.test_train import tiny_config


def untrained_checkpoint(path: Path, names: list[str] | None = None, visual_dim: int = 32) -> Path:
    """A tiny model (seed 0) for 32-d visual / 24-d audio features; classes ``names`` (default class_0..class_3)."""
    names = names or [f"class_{k}" for k in range(4)]
    config = tiny_config(f"model.visual_dim={visual_dim}", "model.audio_dim=24", f"model.num_classes={len(names)}")
    return save_checkpoint(path, build_model(config.model, seed=0), config, names, "synthetic", UNAV_GRID)
