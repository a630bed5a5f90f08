import torch

from loco.model.heads import ClassificationHead, RegressionHead


def test_classification_head_starts_at_the_prior():
    head = ClassificationHead(8, 16, num_classes=3, prior_prob=0.01)
    torch.nn.init.zeros_(head.out.conv.weight)
    logits = head(torch.randn(2, 8, 5), torch.ones(2, 1, 5, dtype=torch.bool))
    assert logits.shape == (2, 5, 3)
    assert torch.allclose(torch.sigmoid(logits), torch.full_like(logits, 0.01), atol=1e-6)


def test_regression_head_is_scaled_per_level_and_non_negative():
    head = RegressionHead(8, 16, num_levels=2, num_outputs=3)
    x, mask = torch.randn(1, 8, 6), torch.ones(1, 1, 6, dtype=torch.bool)
    level0 = head(x, mask, 0)
    with torch.no_grad():
        head.scales[1] = 2.0
    assert level0.shape == (1, 6, 3, 2) and (level0 >= 0).all()
    assert torch.allclose(head(x, mask, 1), 2 * level0)
    assert RegressionHead(8, 16, 2, 1)(x, mask, 0).shape == (1, 6, 2)
