"""What the UI shows of the model's inner workings, in O(T * w) memory: nothing here grows as ``T x T``.

Time axes are in steps (level 0) or tokens (level ``l``, token ``i`` at step ``i * 2^l``); converting to seconds is
the grid's job (``loco.grid``). Built only when ``forward(..., return_internals=True)``; :class:`VideoInternals` is
one video's, as NumPy arrays:

- **LCC** (``None`` without LCC, as in the baseline): ``lcc_visual``, ``lcc_audio`` ``[T, D/2]``, the unit vectors
  whose dot products are ``S[t, s] = <z^v_t, z^a_s>`` (rows visual time, columns audio time). Any part of ``S`` is
  computed from them on demand (:meth:`VideoInternals.correspondence_block`): exact for a short span, pooled for a
  long one (the mean of ``S`` over a block of steps is exactly the dot product of the blocks' mean vectors).
  ``coherence_*`` and ``gate_*`` ``[T]`` per step; :attr:`VideoInternals.agreement` the same step's ``S[t, t]``;
  ``lcc_band`` is ``w`` of the band ``|t - s| <= w``.
- **CDP windows**: ``cdp_left``, ``cdp_right`` per level ``[H, T_l]``, extents in tokens of that level; levels
  attending densely report a window spanning the whole level (extent = number of tokens).
- **Attention**: ``attention_maps`` per level, direction (``"visual"``/``"audio"`` = the stream updated) ->
  :class:`LevelAttention`: the weights of the ``2r + 1`` keys around every query (``r`` = the CDP radius
  ``ceil(extent + band_margin * kappa)``; a windowed level has no weight beyond it) and, for dense levels, a pooled
  overview (block means over ``min(256, T_l)`` equal spans of tokens; the matrix itself up to 256 tokens).
- **Dense views** (:attr:`VideoInternals.correspondence`, :attr:`VideoInternals.attention`) rebuild the ``T x T``
  matrices for short videos (tests, small clips); beyond :data:`MAX_DENSE_STEPS` they raise :class:`DenseViewError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from loco.model.banded import OVERVIEW_BINS, AttentionWeights

MAX_DENSE_STEPS = 4096
"""Longest sequence (steps or tokens) whose dense ``T x T`` view is built (64 MB in float32)."""


class DenseViewError(ValueError):
    """A ``T x T`` view asked of a sequence too long for it."""


def _check_dense(length: int, what: str) -> None:
    if length > MAX_DENSE_STEPS:
        raise DenseViewError(f"the dense {what} of {length} steps would hold {length}² values (at most "
                             f"{MAX_DENSE_STEPS} steps); ask for a block of it instead")


def span_bins(start: int, stop: int, bins: int) -> np.ndarray:
    """Edges ``[K + 1]`` splitting steps ``start .. stop-1`` into ``K = min(bins, stop - start)`` near-equal spans,
    the same split as the model's overviews (``loco.model.banded.bin_membership``) for the whole sequence."""
    count = stop - start
    used = max(1, min(bins, count))
    index = (np.arange(count) * used) // max(count, 1)
    return start + np.searchsorted(index, np.arange(used + 1), side="left")


def _pool_rows(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean of ``x [N, ...]`` over the spans ``edges`` (rows ``edges[k] .. edges[k+1]-1``)."""
    sums = np.add.reduceat(x[edges[0] : edges[-1]], edges[:-1] - edges[0], axis=0)
    return sums / np.diff(edges).reshape(-1, *([1] * (x.ndim - 1)))


def centres(edges: np.ndarray) -> np.ndarray:
    """Centre (fractional step) of each span: ``k`` for one-step spans."""
    return (edges[:-1] + edges[1:] - 1) / 2.0


@dataclass(frozen=True)
class LevelAttention:
    """One level's attention weights in one direction, without the ``T_l x T_l`` matrix."""

    band: np.ndarray  # [H, T_l, 2r + 1]: band[h, i, j] = weight of key i + j - r for query i (0 where no such key)
    overview: np.ndarray | None  # [H, K, K] block means where the level attends densely; None: all weight in band

    @property
    def radius(self) -> int:
        return self.band.shape[-1] // 2

    @property
    def num_tokens(self) -> int:
        return self.band.shape[1]

    def _keys(self, start: int, stop: int) -> np.ndarray:
        return np.arange(start, stop)[:, None] + np.arange(-self.radius, self.radius + 1)[None, :]

    def _overview_edges(self) -> np.ndarray:
        return span_bins(0, self.num_tokens, OVERVIEW_BINS)

    def row(self, head: int, token: int) -> tuple[np.ndarray, np.ndarray]:
        """``(key tokens, weights)`` of one query: its band for a windowed level; every key for a dense one (exact
        near the query, the overview's block mean farther than ``r`` tokens on a level over 256 tokens)."""
        keys = self._keys(token, token + 1)[0]
        inside = (keys >= 0) & (keys < self.num_tokens)
        if self.overview is None:
            return keys[inside], self.band[head, token][inside]
        edges = self._overview_edges()
        bin_of = np.searchsorted(edges, np.arange(self.num_tokens), side="right") - 1
        weights = self.overview[head, bin_of[token]][bin_of].astype(np.float32)
        weights[keys[inside]] = self.band[head, token][inside]
        return np.arange(self.num_tokens), weights

    def block(self, head: int, start: int, stop: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
        """Queries and keys ``start .. stop-1`` at most ``bins`` per axis: ``(centre tokens [K], matrix [K, K])``,
        exact for a short span, block means for a long one (for a long dense level, at the overview's resolution)."""
        if self.overview is not None and self.num_tokens > OVERVIEW_BINS:
            edges = self._overview_edges()
            first = max(0, np.searchsorted(edges, start, side="right") - 1)
            last = np.searchsorted(edges, stop, side="left")
            return centres(edges[first : last + 1]), self.overview[head, first:last, first:last]
        edges = span_bins(start, stop, bins)
        keys = self._keys(start, stop)
        weights = self.band[head, start:stop]
        inside = (keys >= start) & (keys < stop)
        if self.overview is not None:  # short dense level: the overview is the matrix itself
            return centres(edges), _pool_rows(_pool_rows(self.overview[head], edges).T, edges).T
        query_bin = np.searchsorted(edges, np.arange(start, stop), side="right")[:, None] - 1
        key_bin = np.searchsorted(edges, np.clip(keys, start, stop - 1), side="right") - 1
        count = len(edges) - 1
        sums = np.bincount((query_bin * count + key_bin)[inside], weights[inside], minlength=count * count)
        sizes = np.diff(edges)
        return centres(edges), (sums.reshape(count, count) / np.outer(sizes, sizes)).astype(np.float32)

    def dense(self) -> np.ndarray:
        """The ``[H, T_l, T_l]`` matrix (short levels only)."""
        _check_dense(self.num_tokens, "attention")
        if self.overview is not None:
            if self.num_tokens > OVERVIEW_BINS:
                raise DenseViewError(f"a dense level of {self.num_tokens} tokens keeps only an overview of "
                                     f"{OVERVIEW_BINS} bins")
            return self.overview
        return np.stack([self.block(h, 0, self.num_tokens, self.num_tokens)[1] for h in range(self.band.shape[0])])


@dataclass(frozen=True)
class VideoInternals:
    lcc_visual: np.ndarray | None  # [T, D/2] unit vectors z^v
    lcc_audio: np.ndarray | None  # [T, D/2] unit vectors z^a
    coherence_visual: np.ndarray | None  # [T]
    coherence_audio: np.ndarray | None
    gate_visual: np.ndarray | None  # [T]
    gate_audio: np.ndarray | None
    cdp_left: list[np.ndarray]  # per level [H, T_l], tokens of that level
    cdp_right: list[np.ndarray]
    attention_maps: list[dict[str, LevelAttention]]  # per level, direction ("visual"/"audio" = stream updated)
    lcc_band: int | None = None  # w, so the UI can draw the band |t - s| <= w

    @property
    def num_steps(self) -> int:
        return int(self.cdp_left[0].shape[-1])

    @property
    def has_lcc(self) -> bool:
        return self.lcc_visual is not None

    def correspondence_block(self, start: int, stop: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
        """``S`` over steps ``start .. stop-1`` (both axes), at most ``bins`` per axis: ``(centre steps [K],
        S [K, K])``, exact for a span of at most ``bins`` steps, block means beyond."""
        if not self.has_lcc:
            raise ValueError("this model has no LCC correspondence (LCC disabled)")
        edges = span_bins(start, stop, bins)
        visual = _pool_rows(self.lcc_visual.astype(np.float32), edges)
        audio = _pool_rows(self.lcc_audio.astype(np.float32), edges)
        return centres(edges), visual @ audio.T

    @property
    def agreement(self) -> np.ndarray | None:
        """``S[t, t] [T]``: how much the two streams agree at the same step; None without LCC."""
        if not self.has_lcc:
            return None
        return np.einsum("td,td->t", self.lcc_visual.astype(np.float32), self.lcc_audio.astype(np.float32))

    @property
    def correspondence(self) -> np.ndarray | None:
        """The dense ``S [T, T]`` (short videos only); None without LCC."""
        if not self.has_lcc:
            return None
        _check_dense(self.num_steps, "correspondence")
        return self.correspondence_block(0, self.num_steps, self.num_steps)[1]

    @property
    def attention(self) -> list[dict[str, np.ndarray]]:
        """Dense ``[H, T_l, T_l]`` attention per level and direction (short videos only)."""
        return [{name: maps.dense() for name, maps in level.items()} for level in self.attention_maps]


def _numpy(x: Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float32).numpy()


@dataclass(frozen=True)
class BatchInternals:
    """Batched tensors (detached); :meth:`video` crops one video to its valid length."""

    lengths: list[list[int]]  # per level, per video: valid tokens
    lcc_visual: Tensor | None  # [B, D/2, T] unit vectors z^v
    lcc_audio: Tensor | None
    coherence_visual: Tensor | None  # [B, T]
    coherence_audio: Tensor | None
    gate_visual: Tensor | None
    gate_audio: Tensor | None
    cdp_left: list[Tensor]  # per level [B, H, T_l]
    cdp_right: list[Tensor]
    attention: list[dict[str, AttentionWeights]]  # per level, direction -> band [B, H, T_l, 2r+1] (+ overview)
    lcc_band: int | None = None

    def __len__(self) -> int:
        return len(self.lengths[0])

    def video(self, index: int) -> VideoInternals:
        steps = self.lengths[0][index]

        def crop(x: Tensor | None) -> np.ndarray | None:
            return None if x is None else _numpy(x[index, ..., :steps])

        def vectors(x: Tensor | None) -> np.ndarray | None:
            return None if x is None else _numpy(x[index, :, :steps].T)

        cdp_left, cdp_right, attention = [], [], []
        for level, tokens in enumerate(length[index] for length in self.lengths):
            bins = min(OVERVIEW_BINS, tokens)
            cdp_left.append(_numpy(self.cdp_left[level][index, :, :tokens]))
            cdp_right.append(_numpy(self.cdp_right[level][index, :, :tokens]))
            attention.append({
                name: LevelAttention(_numpy(weights.band[index, :, :tokens]),
                                     None if weights.overview is None
                                     else _numpy(weights.overview[index, :, :bins, :bins]))
                for name, weights in self.attention[level].items()
            })
        return VideoInternals(
            lcc_visual=vectors(self.lcc_visual), lcc_audio=vectors(self.lcc_audio),
            coherence_visual=crop(self.coherence_visual), coherence_audio=crop(self.coherence_audio),
            gate_visual=crop(self.gate_visual), gate_audio=crop(self.gate_audio),
            cdp_left=cdp_left, cdp_right=cdp_right, attention_maps=attention, lcc_band=self.lcc_band,
        )
