"""A tiny LoCo config so model tests run in well under a second each."""

from __future__ import annotations

import pytest
import torch

from loco.config import ModelConfig


def tiny_config(**changes) -> ModelConfig:
    cfg = ModelConfig(
        visual_dim=24, audio_dim=16, num_classes=5, embed_dim=32, head_dim=32, num_heads=4, max_seq_len=64,
        drop_path=0.0,
    )
    for key, value in changes.items():
        target = cfg
        *parents, leaf = key.split("__")
        for part in parents:
            target = getattr(target, part)
        setattr(target, leaf, value)
    return cfg


def random_inputs(cfg: ModelConfig, lengths: list[int], total: int | None = None, seed: int = 0):
    """Features with *garbage* in the padding, so a leak through padding would show."""
    generator = torch.Generator().manual_seed(seed)
    total = total or max(lengths)
    visual = torch.randn(len(lengths), cfg.visual_dim, total, generator=generator)
    audio = torch.randn(len(lengths), cfg.audio_dim, total, generator=generator)
    mask = torch.arange(total)[None, :] < torch.tensor(lengths)[:, None]
    return visual, audio, mask


@pytest.fixture(autouse=True)
def _few_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
