import torch

from loco.model.pyramid import CrossModalPyramid
from tests.loco.model.conftest import tiny_config


def test_six_levels_halving_with_windows_where_configured():
    cfg = tiny_config(cdp__levels=[1, 3])
    pyramid = CrossModalPyramid(cfg).eval()
    visual, audio = torch.randn(1, 32, 45), torch.randn(1, 32, 45)
    levels = pyramid(visual, audio, torch.ones(1, 1, 45, dtype=torch.bool))
    assert [level.visual.shape[-1] for level in levels] == [45, 23, 12, 6, 3, 2]
    assert [level.window is not None for level in levels] == [False, True, False, True, False, False]
    assert levels[1].window.left.shape == (1, cfg.num_heads, 23)


def test_direction_convention_queries_come_from_the_other_stream():
    """The visual update must change when only the audio (the query source) changes, through attention."""
    torch.manual_seed(0)
    cfg = tiny_config(cdp__mode="dense", pyramid_levels=1, regression_ranges=[[0, 10000]])
    pyramid = CrossModalPyramid(cfg).eval()
    mask = torch.ones(1, 1, 10, dtype=torch.bool)
    visual = torch.randn(1, 32, 10)
    first = pyramid(visual, torch.randn(1, 32, 10), mask, need_weights=True)[0]
    second = pyramid(visual, torch.randn(1, 32, 10), mask, need_weights=True)[0]
    assert not torch.allclose(first.attention["visual"].band, second.attention["visual"].band)
    block = pyramid.visual_blocks[0]
    assert block.norm_query is not None  # the audio stream is normalised for the queries
