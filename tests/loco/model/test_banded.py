"""The O(T * w) computations equal the T x T formulas they replace, forward and backward, on T = 224."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from loco.config import LCCConfig
from loco.model import SegmentTargets, banded, build_model, cdp
from loco.model.banded import DenseAttention, band_columns, skew_band
from loco.model.blocks import TransformerBlock, dense_attention
from loco.model.lcc import LocalityCorrespondence
from tests.loco.model.conftest import random_inputs, tiny_config

LENGTHS = [224, 150]  # a batch with padding


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few rows, so every streamed pass really runs in several blocks."""
    monkeypatch.setattr(banded, "BLOCK_ELEMENTS", 2 * 224 * 37)


def expand_band(band: torch.Tensor, length: int) -> torch.Tensor:
    """``[.., T, 2r + 1]`` -> the dense ``[.., T, T]`` matrix, zero outside the band."""
    radius = band.shape[-1] // 2
    columns = band_columns(0, band.shape[-2], radius)
    inside = (columns >= 0) & (columns < length)
    dense = band.new_zeros(*band.shape[:-1], length + 2 * radius)
    dense.scatter_(-1, (columns + radius).expand_as(band), band * inside)
    return dense[..., radius : radius + length]


def _mask(lengths: list[int], total: int = 224) -> torch.Tensor:
    return torch.arange(total)[None, :] < torch.tensor(lengths)[:, None]


def dense_lcc(module: LocalityCorrespondence, visual, audio, mask):
    """The T x T formulas (docs/model.md §3): softmax over whole rows and columns of S, masked, summed in the band."""
    cfg, step_mask = module.cfg, mask[:, 0, :]
    z_visual = F.normalize(module.project_visual(visual), dim=1)
    z_audio = F.normalize(module.project_audio(audio), dim=1)
    S = torch.bmm(z_visual.transpose(1, 2), z_audio)
    steps = torch.arange(S.shape[-1])
    offsets = (steps[:, None] - steps[None, :]).abs()
    pair_valid = step_mask[:, :, None] & step_mask[:, None, :]
    logits = (S / cfg.coherence_temperature).masked_fill(~pair_valid, -1e9)
    to_audio, to_visual = torch.softmax(logits, dim=2), torch.softmax(logits, dim=1)
    maskf = step_mask.float()
    coherence = torch.stack(((to_audio * (offsets <= cfg.band)).sum(2), (to_visual * (offsets <= cfg.band)).sum(1)), 1)
    coherence = coherence * maskf[:, None]
    gate_input = coherence
    if cfg.gate_input == "agreement":
        gate_input = torch.diagonal(S, dim1=1, dim2=2)[:, None].expand(-1, 2, -1)
    gates = torch.sigmoid(module.gate_alpha[None, :, None] * gate_input + module.gate_beta[None, :, None])
    gates = gates * maskf[:, None]
    corrected_visual, corrected_audio = visual * (1 + gates[:, :1]), audio * (1 + gates[:, 1:])
    if cfg.cross_aggregate:
        audio_context = torch.bmm(audio, (to_audio * (offsets <= cfg.band)).transpose(1, 2))
        visual_context = torch.bmm(visual, to_visual * (offsets <= cfg.band))
        corrected_visual = corrected_visual + gates[:, :1] * module.aggregate_visual(audio_context) * maskf[:, None]
        corrected_audio = corrected_audio + gates[:, 1:] * module.aggregate_audio(visual_context) * maskf[:, None]
    positive, candidate = offsets <= cfg.band, (offsets <= cfg.band) | (offsets > 2 * cfg.band)
    loss_logits = S / cfg.loss_temperature
    losses = []
    for dim in (2, 1):
        total = torch.logsumexp(loss_logits.masked_fill(~(candidate & pair_valid), -1e9), dim=dim)
        nll = total - torch.logsumexp(loss_logits.masked_fill(~(positive & pair_valid), -1e9), dim=dim)
        losses.append((nll * maskf).sum(1) / maskf.sum(1))
    return corrected_visual, corrected_audio, coherence, gates, (0.5 * (losses[0] + losses[1])).mean()


@pytest.mark.parametrize("gate_input, cross_aggregate", [("coherence", False), ("agreement", False),
                                                         ("coherence", True)])
def test_streamed_lcc_equals_the_dense_formulas_forward_and_backward(small_blocks, gate_input, cross_aggregate):
    torch.manual_seed(0)
    module = LocalityCorrespondence(16, LCCConfig(gate_input=gate_input, cross_aggregate=cross_aggregate)).train()
    mask = _mask(LENGTHS)[:, None, :]
    visual = (torch.randn(2, 16, 224) * mask).requires_grad_()
    audio = (torch.randn(2, 16, 224) * mask).requires_grad_()
    result = module(visual, audio, mask)
    reference = dense_lcc(module, visual, audio, mask)
    streamed = (result.visual, result.audio, torch.stack((result.coherence_visual, result.coherence_audio), 1),
                torch.stack((result.gate_visual, result.gate_audio), 1), result.loss)
    for ours, theirs in zip(streamed, reference):
        assert torch.allclose(ours, theirs, atol=1e-5, rtol=1e-4)
    weights = [torch.randn_like(t) for t in streamed[:4]]

    def objective(outputs):
        return sum((w * t).sum() for w, t in zip(weights, outputs[:4])) + 10 * outputs[4]

    parameters = [visual, audio, *module.parameters()]
    ours = torch.autograd.grad(objective(streamed), parameters)
    theirs = torch.autograd.grad(objective(reference), parameters)
    for a, b in zip(ours, theirs):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-3)


def _perturbed(model):
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "window_predictors" in name and name.endswith("out.weight"):
                parameter.normal_(std=0.5)
            elif "scale" in name:
                parameter.fill_(0.5)
    return model


def _full_matrix(self, query, key, value, key_mask, need_weights):
    return cdp.windowed_attention_full(query, key, value, key_mask, self.window, self.kappa, self.radius,
                                       need_weights)


@pytest.mark.parametrize("mode", ["fixed", "adaptive"])
def test_banded_cdp_equals_full_matrix_attention_forward_and_backward(monkeypatch, mode):
    """The whole model with its windowed levels banded, then with every level on the T x T path."""
    cfg = tiny_config(cdp__mode=mode)
    torch.manual_seed(1)
    model = _perturbed(build_model(cfg, seed=0)).train()
    visual, audio, mask = random_inputs(cfg, LENGTHS, seed=2)
    targets = [banded_targets(), banded_targets()]

    def run():
        fresh = copy.deepcopy(model)  # the loss normaliser's EMA moves at every training loss
        output = fresh(visual, audio, mask)
        loss = fresh.compute_loss(output, targets).total
        return output, torch.autograd.grad(loss, list(fresh.parameters()), allow_unused=True)

    torch.manual_seed(3)
    banded_output, banded_grads = run()
    monkeypatch.setattr(cdp.WindowedAttention, "__call__", _full_matrix)
    torch.manual_seed(3)
    full_output, full_grads = run()
    for level, (ours, theirs) in enumerate(zip(banded_output.cls_logits, full_output.cls_logits)):
        valid = banded_output.masks[level]
        assert torch.allclose(ours[valid], theirs[valid], atol=1e-4), level
    for a, b in zip(banded_grads, full_grads):
        if a is not None:
            assert torch.allclose(a, b, atol=1e-4, rtol=1e-3)


def banded_targets():
    return SegmentTargets(torch.tensor([[10.0, 60.0], [100.0, 140.0]]), torch.tensor([1, 3]))


@pytest.mark.parametrize("mode", ["fixed", "adaptive"])
def test_banded_weights_are_the_full_matrix_inside_the_radius(mode):
    torch.manual_seed(4)
    q, k, v = (torch.randn(2, 4, 224, 8) for _ in range(3))
    key_mask = _mask(LENGTHS)
    extents = torch.rand(2, 4, 224) * (16 if mode == "adaptive" else 0) + 4
    window = cdp.WindowExtents(extents, extents.flip(-1))
    radius = 22 if mode == "adaptive" else 10
    out, weights = cdp.windowed_attention_banded(q, k, v, key_mask, window, 1.0, radius)
    full_out, full = cdp.windowed_attention_full(q, k, v, key_mask, window, 1.0, radius, need_weights=True)
    rows = slice(0, 150)
    assert torch.allclose(out[:, :, rows], full_out[:, :, rows], atol=1e-5)
    assert weights.overview is None and weights.band.shape == (2, 4, 224, 2 * radius + 1)
    assert torch.allclose(expand_band(weights.band, 224)[:, :, rows], full[:, :, rows], atol=1e-6)


def test_dense_attention_summary_equals_the_fused_kernel_and_the_full_weights():
    torch.manual_seed(5)
    block = TransformerBlock(32, 4, cross=True).eval()
    for parameter in block.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    mask = _mask(LENGTHS)[:, None, :]
    x, other = torch.randn(2, 32, 224) * mask, torch.randn(2, 32, 224) * mask
    fused, _, _ = block(x, mask, other, DenseAttention(10))
    summarised, _, weights = block(x, mask, other, DenseAttention(10), need_weights=True)
    reference, _, full = block(x, mask, other, need_weights=True)
    assert torch.allclose(fused, reference, atol=1e-5) and torch.allclose(summarised, reference, atol=1e-5)
    assert weights.overview.shape == (2, 4, 256, 256)
    assert torch.allclose(weights.overview[0, :, :224, :224], full[0], atol=1e-6)  # one token per bin: exact
    assert torch.allclose(weights.overview[1, :, :150, :150], full[1, :, :150, :150], atol=1e-6)
    assert torch.allclose(expand_band(weights.band, 224), full * (_offsets(224) <= 10), atol=1e-6)


def test_dense_overview_is_the_block_mean_beyond_256_tokens():
    torch.manual_seed(6)
    q, k, v = (torch.randn(1, 2, 600, 8) for _ in range(3))
    key_mask = torch.ones(1, 600, dtype=torch.bool)
    out, weights = banded.dense_attention_summary(q, k, v, key_mask, radius=3)
    full_out, full = dense_attention(q, k, v, key_mask, None, need_weights=True)
    assert torch.allclose(out, full_out, atol=1e-5)
    members = banded.bin_membership(key_mask, 256)[0]  # [600, 256]
    expected = members.T @ full[0] @ members / torch.outer(members.sum(0), members.sum(0))
    assert torch.allclose(weights.overview[0], expected, atol=1e-6)
    assert math.isclose(float((weights.overview[0, 0, 0] * members.sum(0)).sum()), 1.0, rel_tol=1e-4)


def test_skew_band_keeps_each_querys_own_keys():
    blocks = torch.arange(3 * 7, dtype=torch.float32).view(3, 7)  # chunk 3, radius 2: span 7
    assert skew_band(blocks, 2).tolist() == [[0, 1, 2, 3, 4], [8, 9, 10, 11, 12], [16, 17, 18, 19, 20]]


def _offsets(length: int) -> torch.Tensor:
    steps = torch.arange(length)
    return (steps[:, None] - steps[None, :]).abs()
