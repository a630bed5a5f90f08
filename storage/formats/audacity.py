"""Audacity label tracks: ``start<TAB>end<TAB>label`` in seconds, one per line; spectral lines (``\\ low high``) are
skipped on import. Labels cannot hold tabs or newlines (the taxonomy refuses them), so no escaping is needed."""

from __future__ import annotations

from collections.abc import Sequence

from storage.errors import FormatError
from storage.events import NewEvent
from storage.views import EventView


def dump_audacity(events: Sequence[EventView]) -> str:
    return "".join(f"{e.start:.6f}\t{e.end:.6f}\t{e.label}\n" for e in events)


def load_audacity(text: str, video_id: str) -> list[NewEvent]:
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("\\"):
            continue
        parts = line.split("\t", 2)
        try:
            start, end = float(parts[0]), float(parts[1])
            label = parts[2]
        except (IndexError, ValueError):
            raise FormatError(f"label file line {number}: expected start<TAB>end<TAB>label, got {line[:80]!r}") from None
        events.append(NewEvent(video_id, start, end, label))
    return events
