import torch

from loco.model.blocks import ConvNormReLUStack
from loco.model.encoder import UnimodalEncoder
from tests.loco.model.conftest import tiny_config


def test_embedding_is_non_negative_and_masked():
    embedding = ConvNormReLUStack(5, 8)
    mask = torch.tensor([[[True] * 4 + [False] * 2]])
    out = embedding(torch.randn(1, 5, 6), mask)
    assert out.shape == (1, 8, 6) and (out >= 0).all() and torch.all(out[..., 4:] == 0)


def test_encoder_keeps_time_and_zero_padding():
    cfg = tiny_config()
    encoder = UnimodalEncoder(cfg.visual_dim, cfg)
    mask = torch.tensor([[[True] * 7 + [False] * 3]])
    out = encoder(torch.randn(1, cfg.visual_dim, 10), mask)
    assert out.shape == (1, cfg.embed_dim, 10) and torch.all(out[..., 7:] == 0)
