import pytest
import torch

from loco.model.blocks import (
    AffineDropPath,
    LayerNorm,
    MaskedConv1D,
    TransformerBlock,
    downsample_mask,
    masked_max_pool,
)


def _padded(x: torch.Tensor, extra: int) -> tuple[torch.Tensor, torch.Tensor]:
    garbage = torch.randn(x.shape[0], x.shape[1], extra) * 100
    mask = torch.zeros(x.shape[0], 1, x.shape[2] + extra, dtype=torch.bool)
    mask[..., : x.shape[2]] = True
    return torch.cat((x, garbage), dim=2), mask


@pytest.mark.parametrize("length", [1, 5, 6, 37])
def test_downsample_mask_has_ceil_length_and_matches_conv(length):
    mask = torch.ones(1, 1, length, dtype=torch.bool)
    conv = MaskedConv1D(3, 3, 3, stride=2)
    out, out_mask = conv(torch.randn(1, 3, length), mask)
    assert out_mask.shape[-1] == out.shape[-1] == (length + 1) // 2
    assert downsample_mask(mask, 2).shape[-1] == (length + 1) // 2


@pytest.mark.parametrize("stride", [1, 2])
def test_masked_conv_ignores_padding_and_zeroes_it(stride):
    torch.manual_seed(0)
    conv = MaskedConv1D(4, 6, 3, stride=stride)
    x = torch.randn(2, 4, 9)
    reference, _ = conv(x, torch.ones(2, 1, 9, dtype=torch.bool))
    padded, mask = _padded(x, 7)
    out, out_mask = conv(padded, mask)
    valid = reference.shape[-1]
    assert torch.allclose(out[..., :valid], reference, atol=1e-6)
    assert torch.all(out[..., valid:] == 0) and not out_mask[..., valid:].any()


def test_masked_max_pool_treats_padding_as_absent():
    x = -torch.ones(1, 1, 3)  # all negative: zeros in the padding would win a plain max-pool
    padded, mask = _padded(x, 3)
    padded[..., 3:] = 0.0
    pooled, out_mask = masked_max_pool(padded, mask, 2)
    assert pooled[0, 0, :2].tolist() == [-1.0, -1.0]
    assert out_mask[0, 0].tolist() == [True, True, False]


def test_layer_norm_normalises_channels_per_step():
    out = LayerNorm(8)(torch.randn(2, 8, 5) * 3 + 1)
    assert torch.allclose(out.mean(dim=1), torch.zeros(2, 5), atol=1e-5)


def test_affine_drop_path_scales_and_drops_whole_samples():
    layer = AffineDropPath(4, drop_prob=0.5)
    x = torch.ones(64, 4, 3)
    assert torch.allclose(layer.eval()(x), torch.full_like(x, 1e-4))
    layer.train()
    torch.manual_seed(0)
    out = layer(x)
    per_sample = out.flatten(1)
    assert torch.all((per_sample == 0).all(dim=1) | torch.isclose(per_sample, torch.tensor(2e-4)).all(dim=1))
    assert 0 < int((per_sample == 0).all(dim=1).sum()) < 64


@pytest.mark.parametrize("stride,cross", [(1, False), (2, True)])
def test_transformer_block_valid_output_independent_of_padding(stride, cross):
    torch.manual_seed(0)
    block = TransformerBlock(16, 4, stride=stride, cross=cross).eval()
    for parameter in block.parameters():  # make the residual branches matter
        torch.nn.init.normal_(parameter, std=0.3)
    x, other = torch.randn(1, 16, 11), torch.randn(1, 16, 11)
    full = torch.ones(1, 1, 11, dtype=torch.bool)
    reference, _, _ = block(x, full, other if cross else None)
    padded_x, mask = _padded(x, 10)
    padded_other, _ = _padded(other, 10)
    padded_x = padded_x * mask  # the residual stream is zero at padding by construction
    out, out_mask, weights = block(padded_x, mask, padded_other if cross else None, need_weights=True)
    valid = reference.shape[-1]
    assert torch.allclose(out[..., :valid], reference, atol=1e-5)
    assert torch.all(out[..., valid:] == 0)
    assert torch.allclose(weights.sum(-1)[..., :valid], torch.ones(1), atol=1e-5)
    assert torch.all(weights[..., :valid, valid:] == 0)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("length", [1, 2, 7, 8])
def test_depthwise_fast_path_equals_the_grouped_conv(stride, length):
    conv = MaskedConv1D(6, 6, 3, stride=stride, groups=6, bias=False)
    assert conv.depthwise
    x, mask = torch.randn(2, 6, length), torch.ones(2, 1, length, dtype=torch.bool)
    fast, _ = conv(x, mask)
    reference = conv.conv(x)
    assert torch.allclose(fast, reference, atol=1e-6)
