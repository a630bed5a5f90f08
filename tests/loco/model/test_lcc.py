import math

import pytest
import torch

from loco.config import LCCConfig
from loco.model.lcc import (
    LocalityCorrespondence,
    coherence_infonce_loss,
    cross_video_logsumexp,
    event_gate_loss,
    local_coherence,
)


def _infonce_by_hand(S, t, band, tau, valid):
    positives = [s for s in range(valid) if abs(s - t) <= band]
    negatives = [s for s in range(valid) if abs(s - t) > 2 * band]
    numerator = sum(math.exp(S[t][s] / tau) for s in positives)
    denominator = numerator + sum(math.exp(S[t][s] / tau) for s in negatives)
    return -math.log(numerator / denominator)


def test_infonce_matches_hand_computation_with_guard_band():
    torch.manual_seed(0)
    S = torch.randn(9, 9).clamp(-1, 1)
    mask = torch.ones(1, 9, dtype=torch.bool)
    loss = coherence_infonce_loss(S[None], mask, band=1, temperature=0.5)
    rows = [_infonce_by_hand(S.tolist(), t, 1, 0.5, 9) for t in range(9)]
    cols = [_infonce_by_hand(S.T.tolist(), t, 1, 0.5, 9) for t in range(9)]
    assert math.isclose(float(loss), 0.5 * (sum(rows) / 9 + sum(cols) / 9), rel_tol=1e-5)


def test_guard_band_entries_do_not_affect_the_loss():
    S = torch.zeros(1, 10, 10)
    mask = torch.ones(1, 10, dtype=torch.bool)
    reference = coherence_infonce_loss(S, mask, band=2, temperature=0.1)
    guard = torch.zeros(10, 10, dtype=torch.bool)
    for t in range(10):
        for s in range(10):
            guard[t, s] = 2 < abs(t - s) <= 4
    changed = S.clone()
    changed[0][guard] = 0.9
    assert torch.isclose(coherence_infonce_loss(changed, mask, band=2, temperature=0.1), reference)
    negatives_up = S.clone()
    negatives_up[0, 0, 9] = 0.9  # a true negative
    assert coherence_infonce_loss(negatives_up, mask, band=2, temperature=0.1) > reference


def test_band_diagonal_S_gives_low_loss_and_anti_diagonal_high():
    T = 20
    offsets = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).abs()
    local = torch.where(offsets <= 2, 1.0, -1.0)[None]
    mask = torch.ones(1, T, dtype=torch.bool)
    low = coherence_infonce_loss(local, mask, band=2, temperature=0.1)
    high = coherence_infonce_loss(-local, mask, band=2, temperature=0.1)
    assert torch.isfinite(low) and float(low) < 1e-6 and float(high) > 10


def test_masked_steps_are_neither_anchors_nor_candidates():
    torch.manual_seed(1)
    S = torch.randn(1, 12, 12)
    mask = torch.zeros(1, 12, dtype=torch.bool)
    mask[0, :7] = True
    garbage = S.clone()
    garbage[0, 7:, :] = 50.0
    garbage[0, :, 7:] = -50.0
    loss = coherence_infonce_loss(garbage, mask, band=1, temperature=0.1)
    assert torch.isclose(loss, coherence_infonce_loss(S[:, :7, :7], mask[:, :7], band=1, temperature=0.1))
    c_v, c_a = local_coherence(garbage, mask, band=1, temperature=0.1)
    ref_v, ref_a = local_coherence(S[:, :7, :7], mask[:, :7], band=1, temperature=0.1)
    assert torch.allclose(c_v[:, :7], ref_v) and torch.allclose(c_a[:, :7], ref_a)
    assert torch.all(c_v[:, 7:] == 0) and torch.all(c_a[:, 7:] == 0)


def test_single_step_video_has_finite_zero_loss():
    loss = coherence_infonce_loss(torch.ones(1, 1, 1), torch.ones(1, 1, dtype=torch.bool), band=2, temperature=0.1)
    assert torch.isfinite(loss) and float(loss) == 0.0


def test_cross_video_negatives_match_hand_computation():
    """Video 0 (5 steps) and video 1 (3 valid steps of 5): each anchor's negatives gain every valid step of the other
    video, whatever its position; padded steps are never counted."""
    torch.manual_seed(3)
    z_visual = torch.nn.functional.normalize(torch.randn(2, 4, 5), dim=1)
    z_audio = torch.nn.functional.normalize(torch.randn(2, 4, 5), dim=1)
    mask = torch.ones(2, 5, dtype=torch.bool)
    mask[1, 3:] = False
    tau, band = 0.5, 1
    S = torch.bmm(z_visual.transpose(1, 2), z_audio)
    loss = coherence_infonce_loss(S, mask, band, tau, cross_video_logsumexp(z_visual, z_audio, mask, tau))

    def anchor_nll(anchor, own, others, t):  # anchor [D], own [D, T_own], others [D, T_other]
        scores = [float(anchor @ own[:, s]) for s in range(own.shape[1])]
        positives = sum(math.exp(scores[s] / tau) for s in range(len(scores)) if abs(s - t) <= band)
        negatives = sum(math.exp(scores[s] / tau) for s in range(len(scores)) if abs(s - t) > 2 * band)
        negatives += sum(math.exp(float(anchor @ others[:, s]) / tau) for s in range(others.shape[1]))
        return -math.log(positives / (positives + negatives))

    lengths = (5, 3)
    per_video = []
    for b, other in ((0, 1), (1, 0)):
        length, other_length = lengths[b], lengths[other]
        v, a = z_visual[b, :, :length], z_audio[b, :, :length]
        v_other, a_other = z_visual[other, :, :other_length], z_audio[other, :, :other_length]
        visual_side = sum(anchor_nll(v[:, t], a, a_other, t) for t in range(length)) / length
        audio_side = sum(anchor_nll(a[:, t], v, v_other, t) for t in range(length)) / length
        per_video.append(0.5 * (visual_side + audio_side))
    assert math.isclose(float(loss), sum(per_video) / 2, rel_tol=1e-5)


def test_cross_video_negatives_change_nothing_for_a_single_video():
    torch.manual_seed(4)
    z_visual = torch.nn.functional.normalize(torch.randn(1, 4, 9), dim=1)
    z_audio = torch.nn.functional.normalize(torch.randn(1, 4, 9), dim=1)
    mask = torch.ones(1, 9, dtype=torch.bool)
    S = torch.bmm(z_visual.transpose(1, 2), z_audio)
    alone = coherence_infonce_loss(S, mask, 2, 0.1)
    assert torch.isclose(coherence_infonce_loss(S, mask, 2, 0.1, cross_video_logsumexp(z_visual, z_audio, mask, 0.1)),
                         alone)


def test_position_code_alone_solves_the_per_video_loss_but_not_the_cross_video_one():
    """Two videos whose features are nothing but the same position code: within each video the objective is solved,
    across videos the same positions are indistinguishable negatives."""
    steps = torch.arange(12, dtype=torch.float32)
    frequencies = (0.3, 0.7, 1.3)
    code = torch.stack([torch.cos(steps * f) for f in frequencies] + [torch.sin(steps * f) for f in frequencies])
    z = torch.nn.functional.normalize(code, dim=0)[None].repeat(2, 1, 1)
    mask = torch.ones(2, 12, dtype=torch.bool)
    S = torch.bmm(z.transpose(1, 2), z)
    per_video = coherence_infonce_loss(S, mask, 2, 0.1)
    with_others = coherence_infonce_loss(S, mask, 2, 0.1, cross_video_logsumexp(z, z, mask, 0.1))
    assert float(with_others) > float(per_video) + math.log(1.5)


def test_coherence_is_the_band_share_of_the_softmax():
    S = torch.tensor([[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])
    c_v, c_a = local_coherence(S, torch.ones(1, 4, dtype=torch.bool), band=1, temperature=1.0)
    e = math.e
    assert math.isclose(float(c_v[0, 0]), (e + 1) / (e + 3), rel_tol=1e-5)
    assert math.isclose(float(c_v[0, 1]), 3 / (e + 3), rel_tol=1e-5)  # its affinity peak is outside the band
    assert math.isclose(float(c_a[0, 3]), 2 / (e + 3), rel_tol=1e-5)  # column 3 is (0, 1, 0, 0): band rows 2, 3
    assert c_a[0, 3] != c_v[0, 3]


def test_content_is_compared_but_the_features_are_corrected():
    torch.manual_seed(5)
    module = LocalityCorrespondence(16, LCCConfig()).eval()
    visual, audio, content_visual, content_audio = (torch.randn(1, 16, 10) for _ in range(4))
    mask = torch.ones(1, 1, 10, dtype=torch.bool)
    result = module(visual, audio, mask, content=(content_visual, content_audio))
    assert torch.allclose(result.correspondence, module(content_visual, content_audio, mask).correspondence)
    assert torch.allclose(result.visual, visual * (1 + result.gate_visual[:, None, :]))
    assert torch.allclose(result.audio, audio * (1 + result.gate_audio[:, None, :]))


def test_event_gate_loss_is_the_per_video_mean_of_both_streams_cross_entropy():
    logits = torch.tensor([[[2.0, -1.0, 0.5], [0.0, 1.0, 3.0]], [[1.0, -2.0, 9.0], [-1.0, 0.0, 9.0]]])
    in_event = torch.tensor([[True, False, True], [False, True, False]])
    mask = torch.tensor([[True, True, True], [True, True, False]])

    def bce(x, y):
        return -math.log(1 / (1 + math.exp(-x))) if y else -math.log(1 - 1 / (1 + math.exp(-x)))

    first = sum(bce(logits[0, m, t].item(), in_event[0, t].item()) for m in range(2) for t in range(3)) / 6
    second = sum(bce(logits[1, m, t].item(), in_event[1, t].item()) for m in range(2) for t in range(2)) / 4
    loss = event_gate_loss(logits, in_event, mask)
    assert math.isclose(float(loss), (first + second) / 2, rel_tol=1e-5)  # the padded step (logit 9) counts nowhere


def test_agreement_gates_read_the_same_steps_cosine():
    torch.manual_seed(1)
    module = LocalityCorrespondence(16, LCCConfig(gate_input="agreement")).eval()
    visual, audio = torch.randn(1, 16, 8), torch.randn(1, 16, 8)
    result = module(visual, audio, torch.ones(1, 1, 8, dtype=torch.bool))
    agreement = torch.diagonal(result.correspondence, dim1=1, dim2=2)
    assert torch.allclose(result.gate_logits[:, 0], 5.0 * agreement - 2.5)
    assert torch.allclose(result.gate_visual, result.gate_audio)
    assert not torch.allclose(result.gate_visual, torch.sigmoid(5.0 * result.coherence_visual - 2.5))


@pytest.mark.parametrize("cross_aggregate, cross_video_negatives", [(False, False), (True, False), (False, True)])
def test_module_outputs_shapes_gates_and_gradients(cross_aggregate, cross_video_negatives):
    torch.manual_seed(0)
    cfg = LCCConfig(cross_aggregate=cross_aggregate, cross_video_negatives=cross_video_negatives)
    module = LocalityCorrespondence(16, cfg).train()
    visual, audio = torch.randn(2, 16, 10), torch.randn(2, 16, 10)
    mask = torch.ones(2, 1, 10, dtype=torch.bool)
    mask[1, :, 6:] = False
    visual, audio = visual * mask, audio * mask
    result = module(visual, audio, mask)
    assert result.correspondence.shape == (2, 10, 10)
    assert result.correspondence.abs().max() <= 1.0 + 1e-5  # cosine similarities
    expected_gate = torch.sigmoid(5.0 * result.coherence_visual - 2.5) * mask[:, 0]
    assert torch.allclose(result.gate_visual, expected_gate)
    assert torch.allclose(result.gate_logits[:, 1], 5.0 * result.coherence_audio - 2.5)
    assert torch.all(result.visual[1, :, 6:] == 0) and torch.all(result.gate_audio[1, 6:] == 0)
    result.loss.backward()
    assert module.project_visual.weight.grad.abs().sum() > 0
    assert module.eval()(visual, audio, mask).loss is None
