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


def test_input_dropout_acts_in_training_only():
    cfg = tiny_config(input_dropout=0.5)
    torch.manual_seed(0)
    encoder = UnimodalEncoder(cfg.visual_dim, cfg)
    plain = UnimodalEncoder(cfg.visual_dim, tiny_config())
    plain.load_state_dict(encoder.state_dict())  # dropout has no weights: same checkpoint either way
    mask = torch.tensor([[[True] * 8]])
    x = torch.randn(1, cfg.visual_dim, 8)
    encoder.train()
    assert not torch.allclose(encoder.embed(x, mask), encoder.embed(x, mask))
    encoder.eval()
    plain.eval()
    assert torch.equal(encoder(x, mask), plain(x, mask))
