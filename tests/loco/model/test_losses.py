import math

import torch

from loco.model.losses import PositiveCountEMA, diou_loss_1d, sigmoid_focal_loss


def test_focal_loss_matches_the_formula():
    logits, targets = torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0])
    p = torch.sigmoid(logits)
    expected = 0.25 * (1 - p[0]) ** 2 * -torch.log(p[0]) + 0.75 * p[1] ** 2 * -torch.log(1 - p[1])
    assert torch.isclose(sigmoid_focal_loss(logits, targets), expected)
    assert sigmoid_focal_loss(torch.tensor([10.0]), torch.tensor([1.0])) < 1e-6


def test_diou_is_zero_for_a_perfect_match_and_penalises_shift():
    target = torch.tensor([[2.0, 3.0]])
    assert float(diou_loss_1d(target.clone(), target)) < 1e-6
    shifted = diou_loss_1d(torch.tensor([[3.0, 2.0]]), target)  # same length, centre moved by 1
    iou = 4.0 / 6.0
    assert math.isclose(float(shifted), 1 - iou + (1.0 / 6.0) ** 2, rel_tol=1e-5)
    assert torch.isfinite(diou_loss_1d(torch.zeros(1, 2), target))


def test_ema_of_positive_count():
    ema = PositiveCountEMA(initial=100.0)
    assert math.isclose(float(ema(0)), 0.9 * 100 + 0.1 * 1, rel_tol=1e-6)  # max(#pos, 1)
    assert math.isclose(float(ema(50, update=False)), 90.1, rel_tol=1e-6)
    assert "value" in ema.state_dict()
