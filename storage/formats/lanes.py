"""One tier per class for formats whose tiers cannot hold overlapping intervals (ELAN, Praat)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.views import EventView


def class_tiers(events: Sequence[EventView]) -> dict[str, list[EventView]]:
    """Tier name -> events, one tier per class; a class that overlaps itself (rare: once in UnAV-100) spills into
    extra tiers ``"<class> #2"``, ... Every interval keeps its label as its text, so readers never parse tier names."""
    tiers: dict[str, list[EventView]] = {}
    for event in sorted(events, key=lambda e: (e.label_id, e.start, e.end, e.event_id)):
        lane = 1
        while True:
            name = event.label if lane == 1 else f"{event.label} #{lane}"
            tier = tiers.setdefault(name, [])
            if not tier or tier[-1].end <= event.start:
                tier.append(event)
                break
            lane += 1
    return tiers
