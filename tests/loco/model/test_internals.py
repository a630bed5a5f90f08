import numpy as np
import pytest
import torch

from loco.model.banded import AttentionWeights
from loco.model.internals import BatchInternals, DenseViewError, LevelAttention, VideoInternals, span_bins


def test_video_crops_each_level_to_its_valid_tokens():
    batch = BatchInternals(
        lengths=[[5, 3], [3, 2]],
        lcc_visual=torch.arange(60.0).view(2, 6, 5), lcc_audio=torch.ones(2, 6, 5),
        coherence_visual=torch.ones(2, 5), coherence_audio=torch.ones(2, 5),
        gate_visual=torch.ones(2, 5), gate_audio=torch.ones(2, 5),
        cdp_left=[torch.ones(2, 4, 5), torch.ones(2, 4, 3)], cdp_right=[torch.ones(2, 4, 5), torch.ones(2, 4, 3)],
        attention=[{"visual": AttentionWeights(torch.ones(2, 4, 5, 3), None),
                    "audio": AttentionWeights(torch.ones(2, 4, 5, 3), torch.ones(2, 4, 256, 256))},
                   {"visual": AttentionWeights(torch.ones(2, 4, 3, 3), None),
                    "audio": AttentionWeights(torch.ones(2, 4, 3, 3), None)}],
        lcc_band=2,
    )
    video = batch.video(1)
    assert video.lcc_visual.shape == (3, 6) and video.lcc_visual[0, 0] == 30.0
    assert video.coherence_visual.shape == (3,) and isinstance(video.gate_audio, np.ndarray)
    assert [a.shape for a in video.cdp_left] == [(4, 3), (4, 2)]
    assert video.attention_maps[0]["audio"].overview.shape == (4, 3, 3)
    assert video.attention_maps[1]["audio"].band.shape == (4, 2, 3) and video.num_steps == 3


def _band_of(dense: np.ndarray, radius: int) -> np.ndarray:
    heads, length, _ = dense.shape
    band = np.zeros((heads, length, 2 * radius + 1))
    for i in range(length):
        for j in range(2 * radius + 1):
            if 0 <= i + j - radius < length:
                band[:, i, j] = dense[:, i, i + j - radius]
    return band


def test_level_attention_rebuilds_rows_blocks_and_pools_by_block_means():
    rng = np.random.default_rng(0)
    length, radius = 12, 2
    offsets = np.abs(np.arange(length)[:, None] - np.arange(length)[None, :])
    dense = np.where(offsets <= radius, rng.random((2, length, length)), 0.0)
    maps = LevelAttention(_band_of(dense, radius), None)
    np.testing.assert_allclose(maps.dense(), dense)
    keys, weights = maps.row(1, 0)
    assert list(keys) == [0, 1, 2] and np.allclose(weights, dense[1, 0, :3])
    tokens, block = maps.block(0, 3, 9, bins=6)
    assert list(tokens) == [3, 4, 5, 6, 7, 8] and np.allclose(block, dense[0, 3:9, 3:9])
    tokens, pooled = maps.block(0, 0, 12, bins=4)  # spans of 3 tokens: the mean of each 3 x 3 block
    assert list(tokens) == [1, 4, 7, 10]
    np.testing.assert_allclose(pooled, dense[0].reshape(4, 3, 4, 3).mean(axis=(1, 3)))


def test_dense_level_keeps_an_overview_and_its_band():
    rng = np.random.default_rng(1)
    dense = rng.random((1, 6, 6))
    maps = LevelAttention(_band_of(dense, 1), dense)
    np.testing.assert_allclose(maps.dense(), dense)
    keys, weights = maps.row(0, 2)
    assert list(keys) == list(range(6)) and np.allclose(weights, dense[0, 2])
    long = LevelAttention(np.zeros((1, 300, 3)), np.ones((1, 256, 256)))
    with pytest.raises(DenseViewError, match="overview"):
        long.dense()
    tokens, block = long.block(0, 0, 300, bins=100)
    assert block.shape == (256, 256) and tokens[0] == pytest.approx(0.5)  # the first bin holds tokens 0 and 1


def test_span_bins_are_near_equal_and_cover_the_span():
    assert list(span_bins(0, 12, 4)) == [0, 3, 6, 9, 12]
    assert list(span_bins(5, 8, 10)) == [5, 6, 7, 8]
    edges = span_bins(0, 1000, 256)
    assert edges[0] == 0 and edges[-1] == 1000 and set(np.diff(edges)) <= {3, 4}


def test_correspondence_blocks_are_exact_or_block_means_and_dense_views_are_bounded():
    rng = np.random.default_rng(2)
    visual, audio = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    internals = VideoInternals(visual, audio, None, None, None, None, [np.zeros((1, 10))], [np.zeros((1, 10))], [])
    full = visual @ audio.T
    np.testing.assert_allclose(internals.correspondence, full, rtol=1e-5)
    steps, block = internals.correspondence_block(2, 6, bins=8)
    assert list(steps) == [2, 3, 4, 5] and np.allclose(block, full[2:6, 2:6])
    steps, pooled = internals.correspondence_block(0, 10, bins=5)
    np.testing.assert_allclose(pooled, full.reshape(5, 2, 5, 2).mean(axis=(1, 3)), rtol=1e-5)
    long = np.zeros((5000, 2))
    internals = VideoInternals(long, long, None, None, None, None, [np.zeros((1, 5000))], [np.zeros((1, 5000))], [])
    with pytest.raises(DenseViewError, match="5000"):
        internals.correspondence
    assert internals.correspondence_block(0, 5000, 100)[1].shape == (100, 100)
