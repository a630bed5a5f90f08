"""Segment geometry for the editor: nudging, snapping and score filtering.

Plain functions on seconds, so every editing gesture of the Correct page is testable without Streamlit. They compute the
NEW times of an edit; the store validates and records it (``0 <= start < end <= duration``, minimum length, label), so
nothing here duplicates its rules beyond what a gesture needs to produce a sensible proposal. Splitting and merging
are the store's own operations (``Store.split``, ``Store.merge``): they change identities, not only times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence, TypeVar

from loco.grid import FeatureGrid

Edge = Literal["start", "end", "both"]
EDGES: tuple[str, ...] = ("start", "end", "both")


class SegmentError(ValueError):
    """An editing gesture that cannot produce a valid segment (split outside it, nudge past its other edge, ...)."""


@dataclass(frozen=True)
class Interval:
    """A time span in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _check_edge(edge: str) -> None:
    if edge not in EDGES:
        raise SegmentError(f"edge must be one of {EDGES}, got {edge!r}")


def nudge(interval: Interval, edge: Edge, delta: float, duration: float, min_length: float = 0.0) -> Interval:
    """Move one edge (or the whole segment) by ``delta`` seconds, kept inside ``[0, duration]``.

    Moving the whole segment keeps its length (it stops at the video's ends); moving one edge refuses to go past the
    other edge minus ``min_length`` instead of silently flipping the segment."""
    _check_edge(edge)
    if edge == "both":
        shift = min(max(delta, -interval.start), duration - interval.end)
        return Interval(interval.start + shift, interval.end + shift)
    if edge == "start":
        start = min(max(0.0, interval.start + delta), duration)
        if interval.end - start < min_length - 1e-9:
            raise SegmentError(f"the start cannot pass {interval.end - min_length:.3f} s (minimum length {min_length:.3f} s)")
        return Interval(start, interval.end)
    end = max(min(duration, interval.end + delta), 0.0)
    if end - interval.start < min_length - 1e-9:
        raise SegmentError(f"the end cannot pass {interval.start + min_length:.3f} s (minimum length {min_length:.3f} s)")
    return Interval(interval.start, end)


NUDGE_UNITS = ("frame", "step", "amount")


def nudge_step(unit: Literal["frame", "step", "amount"], grid: FeatureGrid, video_fps: float | None = None,
               amount: float | None = None) -> float:
    """Seconds of one nudge: a video frame (the video's own rate, else the grid's), one feature step (0.32 s), or a
    typed ``amount`` (exactly 0.5 s is one click, not 12 frames and a half)."""
    if unit == "frame":
        fps = video_fps if video_fps and video_fps > 0 else grid.fps
        return 1.0 / fps
    if unit == "step":
        return grid.hop_seconds
    if unit == "amount":
        if amount is None or not math.isfinite(float(amount)) or float(amount) <= 0:
            raise SegmentError(f"a nudge amount must be a positive number of seconds, got {amount!r}")
        return float(amount)
    raise SegmentError(f"nudge unit must be one of {NUDGE_UNITS}, got {unit!r}")


def snap_to_candidates(seconds: float, candidates: Iterable[float], tolerance: float) -> float:
    """The nearest candidate within ``tolerance`` seconds, else ``seconds`` unchanged."""
    best, best_gap = seconds, tolerance
    for candidate in candidates:
        gap = abs(candidate - seconds)
        if gap <= best_gap:
            best, best_gap = candidate, gap
    return best


def snap_to_grid(seconds: float, grid: FeatureGrid, duration: float | None = None) -> float:
    """The centre of the nearest feature step (where the model's boundaries live), clamped to the video."""
    snapped = float(grid.step_to_seconds(grid.nearest_step(seconds)))
    if duration is not None:
        snapped = min(snapped, duration)
    return snapped


def snap_to_frame(seconds: float, fps: float) -> float:
    """The start of the nearest video frame."""
    if fps <= 0:
        raise SegmentError(f"fps must be positive, got {fps}")
    return round(seconds * fps) / fps


def neighbour_edges(intervals: Iterable[Interval]) -> list[float]:
    """All starts and ends of the other segments, sorted: the candidates for snapping to neighbours."""
    return sorted({t for iv in intervals for t in (iv.start, iv.end)})


def snap_interval(
    interval: Interval,
    *,
    neighbours: Sequence[Interval] = (),
    tolerance: float = 0.0,
    grid: FeatureGrid | None = None,
    duration: float | None = None,
    min_length: float = 0.0,
) -> Interval:
    """Snap both edges: to a neighbour's edge within ``tolerance`` first, otherwise to the grid (when given).

    Refused when snapping would leave less than ``min_length``: the caller keeps the unsnapped segment."""
    edges = neighbour_edges(neighbours)

    def snap(seconds: float) -> float:
        near = snap_to_candidates(seconds, edges, tolerance) if edges and tolerance > 0 else seconds
        if near != seconds or grid is None:
            return near
        return snap_to_grid(seconds, grid, duration)

    snapped = Interval(max(0.0, snap(interval.start)), snap(interval.end))
    if duration is not None:
        snapped = Interval(snapped.start, min(snapped.end, duration))
    if snapped.duration < max(min_length, 1e-9):
        raise SegmentError(
            f"snapping {interval.start:.3f}-{interval.end:.3f} s gives {snapped.start:.3f}-{snapped.end:.3f} s, "
            f"shorter than the minimum {min_length:.3f} s"
        )
    return snapped


Scored = TypeVar("Scored")


def filter_by_score(events: Sequence[Scored], threshold: float = 0.0, top_k: int | None = None) -> list[Scored]:
    """Events scoring at least ``threshold``, best first, at most ``top_k``; events without a score always pass."""

    def score(event) -> float:
        value = getattr(event, "score", None)
        return math.inf if value is None else float(value)

    kept = sorted((e for e in events if score(e) >= threshold), key=score, reverse=True)
    return kept if top_k is None else kept[: max(0, int(top_k))]


def shown_events(events: Sequence[Scored], threshold: float = 0.0, top_k: int | None = None) -> list[Scored]:
    """What the Timeline and the Correct page show: the scored events (proposals) that pass ``filter_by_score``,
    best first, then every unscored one (annotations, human events) by time."""
    scored = [e for e in events if getattr(e, "score", None) is not None]
    unscored = sorted((e for e in events if getattr(e, "score", None) is None), key=lambda e: (e.start, e.end))
    return filter_by_score(scored, threshold, top_k) + unscored


def gap(a: Interval, b: Interval) -> float:
    """Seconds between two spans (0 when they touch or overlap)."""
    return max(0.0, max(a.start, b.start) - min(a.end, b.end))


def nearest(target: Interval, others: Sequence[Scored]) -> Scored | None:
    """The span of ``others`` closest to ``target`` (smallest gap, then the closest centre): the natural partner of
    a merge. ``others`` have ``start`` and ``end``."""
    centre = (target.start + target.end) / 2

    def distance(other) -> tuple[float, float]:
        return gap(target, Interval(other.start, other.end)), abs((other.start + other.end) / 2 - centre)

    return min(others, key=distance, default=None)
