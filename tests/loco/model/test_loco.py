import pytest
import torch

from loco.config import load_config
from loco.model import ModelInputError, SegmentTargets, build_model
from tests.loco.model.conftest import random_inputs, tiny_config

MODES = ["dense", "fixed", "adaptive"]


def _perturbed(model):
    """Random weights everywhere, so that every branch (incl. 1e-4-scaled residuals) actually matters."""
    torch.manual_seed(3)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "window_predictors" in name and name.endswith("out.weight"):
                parameter.normal_(std=0.5)
            elif "scale" in name:
                parameter.fill_(0.5)
    return model


@pytest.mark.parametrize("length", [1, 2, 37, 64, 150])
@pytest.mark.parametrize("mode", MODES)
def test_level_shapes_and_masks_for_any_length(length, mode):
    cfg = tiny_config(cdp__mode=mode)
    model = build_model(cfg, seed=0).eval()
    visual, audio, mask = random_inputs(cfg, [length])
    with torch.no_grad():
        output = model(visual, audio, mask)
    expected = length
    for level in range(cfg.pyramid_levels):
        assert output.cls_logits[level].shape == (1, expected, cfg.num_classes)
        assert output.reg_offsets[level].shape == (1, expected, cfg.num_classes, 2)
        assert output.masks[level].shape == (1, expected) and output.masks[level].all()
        assert torch.isfinite(output.cls_logits[level]).all() and (output.reg_offsets[level] >= 0).all()
        expected = (expected + 1) // 2
    assert output.lcc_loss is None
    with torch.no_grad():
        assert torch.isfinite(model.train()(visual, audio, mask).lcc_loss)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("length", [37, 100])  # 100 > max_seq_len (64): interpolated positions, banded CDP
def test_padding_never_changes_valid_outputs(mode, length):
    cfg = tiny_config(cdp__mode=mode)
    model = _perturbed(build_model(cfg, seed=0)).eval()
    visual, audio, mask = random_inputs(cfg, [length, 180], seed=1)  # batch with a longer video: lots of padding
    with torch.no_grad():
        padded = model(visual, audio, mask, return_internals=True)  # internals: full T x T attention matrices
        alone = model(visual[:1, :, :length], audio[:1, :, :length], mask[:1, :length], return_internals=True)
        fast = model(visual, audio, mask)  # no internals: long levels take the chunked local path
    tokens = length
    for level in range(cfg.pyramid_levels):
        assert padded.masks[level][0].sum() == tokens
        assert torch.allclose(padded.cls_logits[level][0, :tokens], alone.cls_logits[level][0], atol=1e-4)
        assert torch.allclose(padded.reg_offsets[level][0, :tokens], alone.reg_offsets[level][0], atol=1e-4)
        assert torch.allclose(fast.cls_logits[level][0, :tokens], alone.cls_logits[level][0], atol=1e-4)
        tokens = (tokens + 1) // 2
    assert alone.lcc_loss is None  # eval mode: inference skips the training-only LCC loss
    model.train()
    with torch.no_grad():
        train_padded = model(visual, audio, mask)
        train_alone = model(visual[:1, :, :length], audio[:1, :, :length], mask[:1, :length])
    if model.lcc is not None:
        video_loss = train_alone.lcc_loss
        other_loss = model(visual[1:], audio[1:], mask[1:]).lcc_loss
        assert torch.isclose(train_padded.lcc_loss, 0.5 * (video_loss + other_loss), atol=1e-5)
    video_padded, video_alone = padded.internals.video(0), alone.internals.video(0)
    assert video_padded.correspondence.shape == (length, length)
    assert abs(video_padded.correspondence - video_alone.correspondence).max() < 1e-4
    for level in range(cfg.pyramid_levels):
        assert abs(video_padded.cdp_left[level] - video_alone.cdp_left[level]).max() < 1e-4
        for direction in ("visual", "audio"):
            assert abs(video_padded.attention[level][direction] - video_alone.attention[level][direction]).max() < 1e-4


def test_internals_shapes_and_meaning():
    cfg = tiny_config()
    model = build_model(cfg, seed=0).eval()
    visual, audio, mask = random_inputs(cfg, [30, 45])
    with torch.no_grad():
        output = model(visual, audio, mask, return_internals=True)
    assert model(visual, audio, mask).internals is None
    video = output.internals.video(0)
    assert len(output.internals) == 2
    assert video.correspondence.shape == (30, 30)
    for curve in (video.coherence_visual, video.coherence_audio, video.gate_visual, video.gate_audio):
        assert curve.shape == (30,) and (curve >= 0).all() and (curve <= 1).all()
    tokens = 30
    for level in range(cfg.pyramid_levels):
        assert video.cdp_left[level].shape == video.cdp_right[level].shape == (cfg.num_heads, tokens)
        assert abs(video.cdp_left[level] - cfg.cdp.init_extent).max() < 1e-4  # fresh model: delta = init_extent
        for direction in ("visual", "audio"):
            weights = video.attention[level][direction]
            assert weights.shape == (cfg.num_heads, tokens, tokens)
            assert abs(weights.sum(-1) - 1).max() < 1e-4
        tokens = (tokens + 1) // 2
    assert video.num_steps == 30 and video.lcc_band == cfg.lcc.band


def test_dense_baseline_has_no_window_and_no_lcc():
    cfg = tiny_config(cdp__mode="dense", lcc__enabled=False)
    model = build_model(cfg, seed=0).eval()
    assert len(model.pyramid.window_predictors) == 0 and model.lcc is None
    visual, audio, mask = random_inputs(cfg, [20])
    with torch.no_grad():
        output = model(visual, audio, mask, return_internals=True)
    video = output.internals.video(0)
    assert output.lcc_loss is None and video.correspondence is None
    assert (video.cdp_left[0] == 20).all()  # dense: the window is the whole level
    weights = video.attention[0]["visual"]
    assert (weights > 0).all()  # every key takes part


def test_adaptive_only_on_chosen_levels():
    model = build_model(tiny_config(cdp__levels=[0, 2]), seed=0)
    assert sorted(model.pyramid.window_predictors.keys()) == ["0", "2"]


def test_same_seed_same_model_and_outputs():
    cfg = tiny_config()
    first, second = build_model(cfg, seed=7), build_model(cfg, seed=7)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert not torch.equal(next(build_model(cfg, seed=8).parameters()), next(first.parameters()))
    visual, audio, mask = random_inputs(cfg, [25])
    first.train(), second.train()
    torch.manual_seed(0)
    out_first = first(visual, audio, mask).cls_logits[0]
    torch.manual_seed(0)
    out_second = second(visual, audio, mask).cls_logits[0]
    assert torch.equal(out_first, out_second)


@pytest.mark.parametrize("class_aware", [True, False])
def test_loss_is_finite_and_trains(class_aware):
    cfg = tiny_config(class_aware_regression=class_aware)
    model = build_model(cfg, seed=0).train()
    visual, audio, mask = random_inputs(cfg, [40, 25])
    targets = [
        SegmentTargets(torch.tensor([[2.0, 12.5], [10.0, 30.0]]), torch.tensor([1, 3])),
        SegmentTargets(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)),
    ]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(5):
        output = model(visual, audio, mask)
        breakdown = model.compute_loss(output, targets)
        optimizer.zero_grad()
        breakdown.total.backward()
        optimizer.step()
        losses.append(breakdown.total.item())
    assert breakdown.num_pos > 0 and all(torch.isfinite(torch.tensor(losses)))
    expected = breakdown.cls + breakdown.reg + cfg.lcc.loss_weight * breakdown.lcc
    assert torch.isclose(breakdown.total, expected)
    assert losses[-1] < losses[0]
    assert float(model.loss_normaliser.value) < 100.0  # the EMA moved towards the real positive count


def test_event_gate_term_is_off_by_default_and_weighted_when_on():
    targets = [SegmentTargets(torch.tensor([[5.0, 15.0]]), torch.tensor([2]))]
    off = tiny_config()
    model = build_model(off, seed=0).train()
    visual, audio, mask = random_inputs(off, [30])
    breakdown = model.compute_loss(model(visual, audio, mask), targets)
    assert float(breakdown.lcc_event) == 0.0
    on = tiny_config(lcc__event_gate_weight=0.5)
    model = build_model(on, seed=0).train()
    breakdown = model.compute_loss(model(visual, audio, mask), targets)
    assert breakdown.lcc_event.item() > 0
    expected = breakdown.cls + breakdown.reg + on.lcc.loss_weight * breakdown.lcc + 0.5 * breakdown.lcc_event
    assert torch.isclose(breakdown.total, expected)


def test_event_gate_term_opens_the_gates_inside_events():
    """Sound and picture share a pattern only inside the event; a few steps on the event term alone open the gates
    there and shut them elsewhere."""
    cfg = tiny_config(lcc__event_gate_weight=1.0)
    model = build_model(cfg, seed=0).train()
    visual, audio, mask = random_inputs(cfg, [40])
    visual[:, :, 10:25] += 3 * torch.randn(cfg.visual_dim, 1)
    audio[:, :, 10:25] += 3 * torch.randn(cfg.audio_dim, 1)
    targets = [SegmentTargets(torch.tensor([[9.5, 25.5]]), torch.tensor([0]))]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(40):
        event_loss = model.compute_loss(model(visual, audio, mask), targets).lcc_event
        optimizer.zero_grad()
        event_loss.backward()
        optimizer.step()
    internals = model.eval()(visual, audio, mask, return_internals=True).internals
    for gate in (internals.gate_visual[0], internals.gate_audio[0]):
        inside, outside = gate[10:26], torch.cat((gate[:9], gate[27:]))
        assert float(inside.min()) > float(outside.max())


def test_bad_inputs_raise_clear_errors():
    cfg = tiny_config()
    model = build_model(cfg, seed=0)
    visual, audio, mask = random_inputs(cfg, [10])
    with pytest.raises(ModelInputError, match="visual dim"):
        model(visual[:, :5], audio, mask)
    with pytest.raises(ModelInputError, match="time sizes"):
        model(visual, audio[:, :, :9], mask)
    with pytest.raises(ModelInputError, match="bool"):
        model(visual, audio, mask.float())
    with pytest.raises(ModelInputError, match="at least one valid"):
        model(visual, audio, torch.zeros_like(mask))


def test_compact_config_is_a_few_million_parameters():
    model = build_model(load_config("compact").model, seed=0)
    assert 1e6 < sum(p.numel() for p in model.parameters()) < 8e6


@pytest.mark.slow
def test_unav_config_builds_and_runs():
    cfg = load_config("unav").model
    model = build_model(cfg, seed=0).eval()
    assert sum(p.numel() for p in model.parameters()) > 100e6
    visual, audio, mask = (torch.randn(1, cfg.visual_dim, 16), torch.randn(1, cfg.audio_dim, 16),
                           torch.ones(1, 16, dtype=torch.bool))
    with torch.no_grad():
        output = model(visual, audio, mask)
    assert output.cls_logits[0].shape == (1, 16, cfg.num_classes) and torch.isfinite(output.cls_logits[-1]).all()


@pytest.mark.parametrize("position_free", [False, True])
def test_position_free_lcc_sees_content_only(position_free):
    """A video whose features never change: with the position code in the compared features the correspondence
    still varies over time; compared on the embeddings alone (position_free) every entry is the same."""
    cfg = tiny_config(lcc__position_free=position_free)
    model = build_model(cfg, seed=0).eval()
    visual = torch.randn(1, cfg.visual_dim, 1).repeat(1, 1, 20)
    audio = torch.randn(1, cfg.audio_dim, 1).repeat(1, 1, 20)
    mask = torch.ones(1, 20, dtype=torch.bool)
    with torch.no_grad():
        correspondence = model(visual, audio, mask, return_internals=True).internals.video(0).correspondence
    inner = correspondence[2:-2, 2:-2]  # away from the convolutions' edges
    spread = float(inner.max() - inner.min())
    assert (spread < 1e-5) if position_free else (spread > 1e-2)
