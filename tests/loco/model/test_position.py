import math

import torch

from loco.model.position import SinusoidalPositionEmbedding


def _mask(lengths, total):
    return (torch.arange(total)[None, :] < torch.tensor(lengths)[:, None])[:, None, :]


def test_within_max_len_is_the_standard_table_scaled():
    embedding = SinusoidalPositionEmbedding(8, max_seq_len=16)(_mask([5], 5))[0]
    assert embedding.shape == (8, 5)
    assert math.isclose(float(embedding[0, 3]), math.sin(3) / math.sqrt(8), rel_tol=1e-5)
    assert math.isclose(float(embedding[1, 3]), math.cos(3) / math.sqrt(8), rel_tol=1e-5)


def test_long_sequences_are_squeezed_onto_the_trained_range():
    embedding = SinusoidalPositionEmbedding(8, max_seq_len=16)(_mask([61], 61))[0]
    # the last of 61 steps sits at position 15, the last trained one; the middle at 7.5
    reference = SinusoidalPositionEmbedding(8, max_seq_len=16)(_mask([16], 16))[0]
    assert torch.allclose(embedding[:, -1], reference[:, -1], atol=1e-5)
    assert math.isclose(float(embedding[0, 30]), math.sin(7.5) / math.sqrt(8), rel_tol=1e-4)


def test_padding_changes_nothing_and_is_zero():
    module = SinusoidalPositionEmbedding(8, max_seq_len=16)
    alone = module(_mask([40], 40))
    padded = module(_mask([40, 100], 100))
    assert torch.allclose(padded[0, :, :40], alone[0], atol=1e-6)
    assert torch.all(padded[0, :, 40:] == 0)
