import torch

from loco.model.dependency import DependencyBlock


def test_dependency_block_keeps_shape_and_ignores_padding():
    torch.manual_seed(0)
    block = DependencyBlock(16, num_classes=4, num_heads=4).eval()
    fused = torch.randn(1, 16, 9)
    reference = block(fused, torch.ones(1, 1, 9, dtype=torch.bool))
    padded = torch.cat((fused, torch.zeros(1, 16, 5)), dim=2)
    mask = torch.zeros(1, 1, 14, dtype=torch.bool)
    mask[..., :9] = True
    out = block(padded, mask)
    assert out.shape == (1, 16, 14)
    assert torch.allclose(out[..., :9], reference, atol=1e-5) and torch.all(out[..., 9:] == 0)
