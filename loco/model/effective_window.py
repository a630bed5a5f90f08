"""The effective attention window: where a query's attention went, as opposed to the window CDP predicted for it.

CDP's soft window enters the attention logits as ``log m`` with sigmoid edges (``docs/model.md``, section 4), so it
bounds attention only loosely: keys past the predicted extent lose a few logits, not all their weight, and a query whose
dot products favour a far key still attends there. The predicted extents ``δL, δR`` describe the window predictor's
output; the effective window describes the weights the model applied.

Definition (the central interval): order a query's keys by their offset from the query (key token - query token,
negative = earlier) and normalise its weights to sum 1. The effective window at mass ``m`` runs from the first offset
whose cumulative weight exceeds ``(1 - m) / 2`` to the first offset whose cumulative weight reaches ``1 - (1 - m) / 2``:
it leaves at most ``(1 - m) / 2`` of the weight outside on each side and holds at least ``m`` inside. Unlike the
shortest span holding ``m``, it is unique (no ties to break) and the same on a dense row and on a banded row whose
band holds all the weight. It need not contain the query: attention that looks only ahead gives a window with a
positive first offset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from loco.model.internals import LevelAttention

EFFECTIVE_MASS = 0.9
"""Share of a query's attention the effective window holds (the figures and captions use it)."""

_TOLERANCE = 1e-9  # cumulative sums in float64: a share of exactly (1 - m) / 2 does not move an edge


def effective_window(weights: np.ndarray, offsets: np.ndarray, mass: float = EFFECTIVE_MASS
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(first, last)`` key offsets of the effective window of each row of ``weights [..., K]``, whose keys sit at
    ``offsets [K]`` (or ``[..., K]``; ascending, in tokens from the query). Works on a dense row (offsets
    ``-i .. T-1-i``) and on a banded one (``-r .. r``) alike. A row without weight gives NaN."""
    if not 0.0 < mass <= 1.0:
        raise ValueError(f"the mass must be in (0, 1], got {mass}")
    weights = np.asarray(weights, dtype=np.float64)
    offsets = np.broadcast_to(np.asarray(offsets, dtype=np.float64), weights.shape)
    if weights.shape[-1] == 0:
        raise ValueError("a row needs at least one key")
    if np.any(np.diff(offsets, axis=-1) <= 0):
        raise ValueError("key offsets must be strictly ascending")
    total = weights.sum(axis=-1, keepdims=True)
    cumulative = np.cumsum(weights, axis=-1) / np.where(total > 0, total, 1.0)
    tail = (1.0 - mass) / 2.0
    first = np.argmax(cumulative > tail + _TOLERANCE, axis=-1)[..., None]
    last = np.argmax(cumulative >= 1.0 - tail - _TOLERANCE, axis=-1)[..., None]
    empty = total[..., 0] <= 0
    return (np.where(empty, np.nan, np.take_along_axis(offsets, first, axis=-1)[..., 0]),
            np.where(empty, np.nan, np.take_along_axis(offsets, last, axis=-1)[..., 0]))


def band_offsets(radius: int) -> np.ndarray:
    """Offsets ``-r .. r`` of a banded attention row (``band[..., j]`` is the key ``i + j - r``)."""
    return np.arange(-radius, radius + 1)


def level_effective_windows(maps: LevelAttention, head: int, mass: float = EFFECTIVE_MASS,
                            tokens: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(first, last)`` key offsets of the effective window of the queries ``tokens`` (every query of the level by
    default) of one level, head and direction, from the weights the model applied: the band where it holds all the
    weight (a windowed level), every key otherwise (a dense level, exact near the query and the overview's block
    means beyond its band)."""
    tokens = np.arange(maps.num_tokens) if tokens is None else np.asarray(tokens, dtype=np.int64)
    if maps.overview is None:
        return effective_window(maps.band[head][tokens], band_offsets(maps.radius), mass)
    windows = [effective_window(weights, keys - token, mass)
               for token, (keys, weights) in ((int(t), maps.row(head, int(t))) for t in tokens)]
    first, last = zip(*windows) if windows else ((), ())
    return np.array(first, dtype=np.float64), np.array(last, dtype=np.float64)
