import math

import pytest
import torch

from loco.config import CDPConfig
from loco.model.cdp import (
    WindowExtents,
    WindowPredictor,
    constant_window,
    log_soft_window,
    window_radius,
    windowed_attention_chunked,
    windowed_attention_full,
)


def test_predicted_windows_start_at_init_extent_and_stay_in_range():
    cfg = CDPConfig(max_extent=16.0, init_extent=4.0)
    torch.manual_seed(0)
    predictor = WindowPredictor(8, 4, stride=2, cfg=cfg)
    mask = torch.ones(2, 1, 13, dtype=torch.bool)
    window = predictor(torch.randn(2, 8, 13), torch.randn(2, 8, 13), mask)
    assert window.left.shape == window.right.shape == (2, 4, 7)
    assert torch.allclose(window.left, torch.full_like(window.left, 4.0), atol=1e-5)
    torch.nn.init.normal_(predictor.out.weight, std=50.0)  # any weights: extents stay in [0, r_max]
    window = predictor(torch.randn(2, 8, 13) * 10, torch.randn(2, 8, 13) * 10, mask)
    for extent in (window.left, window.right):
        assert float(extent.detach().min()) >= 0.0 and float(extent.detach().max()) <= 16.0
        assert float((extent.max() - extent.min()).detach()) > 1.0


def test_fixed_soft_mask_is_the_band_up_to_edge_softness():
    window = constant_window(1, 1, 1, 4.0, torch.zeros(1))
    offsets = torch.arange(-20, 21, dtype=torch.float32)
    mask = log_soft_window(offsets, window, kappa=0.05).exp()[0, 0, 0]
    band = (offsets.abs() <= 4).float()
    inside_or_far = (offsets.abs() - 4).abs() >= 1
    assert torch.allclose(mask[inside_or_far], band[inside_or_far], atol=1e-5)
    soft = log_soft_window(offsets, window, kappa=1.0).exp()[0, 0, 0]
    assert torch.allclose(soft[offsets.abs() <= 1], torch.ones(3), atol=0.06)  # deep inside: ~1
    assert float(soft[offsets.abs() >= 12].max()) < 1e-3  # far outside: ~0
    edge = float(soft[offsets == 4][0])
    assert math.isclose(edge, 0.5 * torch.sigmoid(torch.tensor(8.0)).item() + 1e-6, rel_tol=1e-3)


def test_window_is_asymmetric_per_head():
    window = WindowExtents(torch.tensor([[[1.0], [6.0]]]), torch.tensor([[[6.0], [1.0]]]))
    offsets = torch.arange(-10, 11, dtype=torch.float32)
    mask = log_soft_window(offsets, window, kappa=0.1).exp()[0, :, 0]
    assert mask[0][offsets == -3].item() < 1e-3 and mask[0][offsets == 3].item() > 0.99
    assert mask[1][offsets == -3].item() > 0.99 and mask[1][offsets == 3].item() < 1e-3


@pytest.mark.parametrize("length,valid,chunk", [(50, 50, None), (61, 40, None), (61, 61, 7), (5, 3, None)])
def test_chunked_attention_equals_full_attention(length, valid, chunk):
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, length, 8) for _ in range(3))
    key_mask = torch.arange(length)[None, :] < torch.tensor([valid, length])[:, None]
    extents = torch.rand(2, 4, length) * 6
    window = WindowExtents(extents, extents.flip(-1))
    radius = 9
    full_out, full_weights = windowed_attention_full(q, k, v, key_mask, window, 1.0, radius, need_weights=True)
    fused_out, _ = windowed_attention_full(q, k, v, key_mask, window, 1.0, radius, need_weights=False)
    band_out = windowed_attention_chunked(q, k, v, key_mask, window, 1.0, radius, chunk)
    rows = slice(0, valid)  # padded queries of video 0 may have no allowed key: finite, ignored downstream
    assert torch.isfinite(full_out).all() and torch.isfinite(band_out).all() and torch.isfinite(fused_out).all()
    assert torch.allclose(full_out[:, :, rows], band_out[:, :, rows], atol=1e-5)
    assert torch.allclose(fused_out[:, :, rows], full_out[:, :, rows], atol=1e-5)
    offsets = (torch.arange(length)[None, :] - torch.arange(length)[:, None]).abs()
    assert torch.all(full_weights[..., :valid, :][..., offsets[:valid] > radius] == 0)
    assert torch.all(full_weights[0, :, :valid, valid:] == 0)


def test_radius_covers_the_extent_plus_margin():
    assert window_radius(CDPConfig(mode="adaptive", max_extent=16, kappa=1, band_margin=6)) == 22
    assert window_radius(CDPConfig(mode="fixed", fixed_extent=4, kappa=0.5, band_margin=6)) == 7
