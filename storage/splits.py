"""Which videos train, validate and test: assigned per video, or a seeded random split of the unassigned ones.

A snapshot freezes each video's subset (``create_snapshot``), so what is assigned here is what training validates on
and evaluation tests on; a video left unassigned goes to ``train``. Both operations check every id and subset before
writing anything and are one transaction each.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import select

from storage.errors import NotFoundError, ValidationError
from storage.models import SUBSETS, Video
from storage.videos import VideoOps, check_subset

DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)  # train, validation, test


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    try:
        values = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise ValidationError(f"split fractions must be numbers, got {list(fractions)!r}") from None
    if len(values) != len(SUBSETS) or not all(math.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
        raise ValidationError(f"give {len(SUBSETS)} non-negative fractions ({', '.join(SUBSETS)}) that are not all "
                              f"zero, got {list(fractions)!r}")
    total = sum(values)
    return tuple(v / total for v in values)


def split_counts(n: int, fractions: Sequence[float]) -> tuple[int, ...]:
    """How many of ``n`` videos go to each subset: the largest remainders round, and a subset with a positive
    fraction gets at least one video whenever there are enough (a validation split of none validates nothing)."""
    shares = _check_fractions(fractions)
    counts = [math.floor(n * share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(n * shares[i] - counts[i]), i))
    for index in by_remainder[: n - sum(counts)]:
        counts[index] += 1
    wanted = [i for i, share in enumerate(shares) if share > 0]
    if n >= len(wanted):
        for index in wanted:
            if counts[index] == 0:
                counts[max(range(len(counts)), key=lambda i: counts[i])] -= 1
                counts[index] = 1
    return tuple(counts)


def random_split(video_ids: Iterable[str], fractions: Sequence[float] = DEFAULT_FRACTIONS,
                 seed: int = 0) -> dict[str, str]:
    """A reproducible split: the same ids, fractions and seed always give the same subsets, whatever order the ids
    come in."""
    ids = sorted(set(video_ids))
    random.Random(int(seed)).shuffle(ids)
    split, start = {}, 0
    for subset, count in zip(SUBSETS, split_counts(len(ids), fractions)):
        split.update({video_id: subset for video_id in ids[start:start + count]})
        start += count
    return split


class SplitOps(VideoOps):
    def assign_subsets(self, subsets: Mapping[str, str | None]) -> int:
        """Set each named video's subset (``None``: unassigned). Returns how many videos changed."""
        subsets = dict(subsets)
        for subset in subsets.values():
            check_subset(subset)
        with self._write() as session:
            videos = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(list(subsets))))}
            missing = [v for v in subsets if v not in videos]
            if missing:
                raise NotFoundError(f"no video(s) {missing[:5]}")
            changed = [v for v, subset in subsets.items() if videos[v].subset != subset]
            for video_id in changed:
                videos[video_id].subset = subsets[video_id]
            return len(changed)

    def assign_random_split(self, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0,
                            video_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Split the videos that have no subset yet (of ``video_ids``, or all) with ``random_split`` and record it;
        assigned videos keep theirs. Returns the new assignment."""
        _check_fractions(fractions)
        with self._write() as session:
            query = select(Video).where(Video.subset.is_(None))
            if video_ids is not None:
                query = query.where(Video.id.in_(list(video_ids)))
            videos = {v.id: v for v in session.scalars(query.with_for_update())}
            split = random_split(videos, fractions, seed)
            for video_id, subset in split.items():
                videos[video_id].subset = subset
            return split
