import numpy as np
import pytest

from loco.model.effective_window import band_offsets, effective_window, level_effective_windows
from loco.model.internals import LevelAttention


def concentrated_row(length: int, query: int, first: int, last: int, leak: float = 0.0) -> np.ndarray:
    """Attention of ``query`` spread evenly over keys ``query + first .. query + last``, plus ``leak`` in total
    spread evenly over every key (what a soft window lets through)."""
    row = np.zeros(length)
    row[query + first : query + last + 1] = 1.0 / (last - first + 1)
    return (1.0 - leak) * row + leak / length


def test_a_row_concentrated_on_keys_i_minus_2_to_i_plus_3_has_the_window_minus_2_plus_3_at_90_percent():
    query = 10
    row = concentrated_row(32, query, -2, 3)
    first, last = effective_window(row, np.arange(32) - query, 0.9)
    assert (first, last) == (-2, 3)
    # Still so with 4 % of the weight leaking over the whole row (2 % on each side at most, under the 5 % allowed).
    assert effective_window(concentrated_row(32, query, -2, 3, leak=0.04), np.arange(32) - query, 0.9) == (-2, 3)


def test_dense_and_banded_rows_of_the_same_attention_give_the_same_window():
    query, radius = 12, 6
    dense = concentrated_row(40, query, -2, 3)
    band = dense[query - radius : query + radius + 1]
    assert effective_window(dense, np.arange(40) - query) == effective_window(band, band_offsets(radius))


def test_mass_and_one_sided_attention():
    offsets = np.arange(-4, 5)
    ahead = np.zeros(9)
    ahead[[6, 7, 8]] = [0.2, 0.6, 0.2]  # every key after the query: offsets +2, +3, +4
    assert effective_window(ahead, offsets, 0.5) == (3, 3)
    assert effective_window(ahead, offsets, 1.0) == (2, 4)


def test_rows_at_once_and_an_empty_row():
    rows = np.stack([concentrated_row(9, 4, -1, 1), np.zeros(9), concentrated_row(9, 4, 0, 4)])
    first, last = effective_window(rows.reshape(3, 1, 9), np.arange(9) - 4)
    assert first.shape == (3, 1)
    assert first[0, 0] == -1 and last[0, 0] == 1 and np.isnan(first[1, 0]) and (first[2, 0], last[2, 0]) == (0, 4)


@pytest.mark.parametrize("mass", [0.0, 1.5])
def test_refuses_a_mass_outside_0_1(mass):
    with pytest.raises(ValueError, match="mass"):
        effective_window(np.ones(3), np.arange(3), mass)


def test_refuses_unordered_offsets():
    with pytest.raises(ValueError, match="ascending"):
        effective_window(np.ones(3), np.array([0, 2, 1]))


def test_every_query_of_a_windowed_and_of_a_dense_level():
    radius, tokens = 4, 12
    dense = np.stack([concentrated_row(tokens, i, -min(i, 1), min(tokens - 1 - i, 2)) for i in range(tokens)])
    band = np.zeros((1, tokens, 2 * radius + 1))
    for i in range(tokens):
        for j in range(2 * radius + 1):
            if 0 <= i + j - radius < tokens:
                band[0, i, j] = dense[i, i + j - radius]
    windowed = level_effective_windows(LevelAttention(band, None), 0)
    dense_level = level_effective_windows(LevelAttention(band, dense[None]), 0)
    for first, last in (windowed, dense_level):
        assert first.shape == (tokens,)
        assert (first[0], last[0]) == (0, 2) and (first[5], last[5]) == (-1, 2) and (first[-1], last[-1]) == (-1, 0)
    some = level_effective_windows(LevelAttention(band, dense[None]), 0, tokens=np.array([5, 11]))
    assert list(some[0]) == [-1, -1] and list(some[1]) == [2, 0]
