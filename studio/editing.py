"""Every correction gesture of the app, one door: pages call these and never the store's edit operations directly.

Geometry comes from ``studio.segments``, validation and the append-only record from the store. Every function writes
at once (one transaction) and returns what the store returned (the new head, usually), so nothing lives only in the
browser session; a stale ``rev_no`` raises the store's ``ConflictError`` and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from loco.grid import FeatureGrid
from storage import EventView, Store
from studio.segments import Edge, Interval, box_to_interval, nudge, snap_interval


def _interval(event: EventView) -> Interval:
    return Interval(event.start, event.end)


def accept(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.accept(event.event_id, event.rev_no, author=author)


def reject(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.reject(event.event_id, event.rev_no, author=author)


def delete(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.delete(event.event_id, event.rev_no, author=author)


def restore(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.restore(event.event_id, event.rev_no, author=author)


def undo(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.undo(event.event_id, event.rev_no, author=author)


def redo(store: Store, event: EventView, author: str | None = None) -> EventView:
    return store.redo(event.event_id, event.rev_no, author=author)


def relabel(store: Store, event: EventView, label: str, author: str | None = None) -> EventView:
    return store.relabel(event.event_id, event.rev_no, label, author=author)


def split(store: Store, event: EventView, at: float, author: str | None = None) -> tuple[EventView, EventView]:
    """Cut at ``at`` seconds: the event keeps the left part, a new event the right."""
    return store.split(event.event_id, event.rev_no, at, author=author)


def merge(store: Store, event: EventView, other: EventView, author: str | None = None) -> EventView:
    """``event`` spans both and keeps its label; ``other`` is deleted (and can be restored)."""
    return store.merge(event.event_id, event.rev_no, other.event_id, other.rev_no, author=author)


def add_event(store: Store, video_id: str, start: float, end: float, label: str,
              author: str | None = None) -> EventView:
    return store.add_event(video_id, start, end, label, author=author)


def bulk_accept(store: Store, video_id: str, min_score: float, author: str | None = None) -> int:
    """Accept every proposed event of the video scoring at least ``min_score``; returns how many."""
    return store.bulk_accept(min_score, video_id, author=author)


def nudge_event(store: Store, event: EventView, edge: Edge, delta: float, duration: float,
                author: str | None = None) -> EventView:
    """Move an edge (or the whole event) by ``delta`` seconds: one frame or one grid step per click."""
    moved = nudge(_interval(event), edge, delta, duration, store.min_event_seconds)
    return store.move(event.event_id, event.rev_no, start=moved.start, end=moved.end, author=author,
                      note=f"nudge {edge} {delta:+.3f} s")


def snap_event(store: Store, event: EventView, others: Sequence[EventView], grid: FeatureGrid | None,
               duration: float, tolerance: float, author: str | None = None) -> EventView:
    """Snap both edges to the nearest edge of another event within ``tolerance`` s, else to the grid (if given)."""
    neighbours = [_interval(o) for o in others if o.event_id != event.event_id]
    snapped = snap_interval(_interval(event), neighbours=neighbours, tolerance=tolerance, grid=grid,
                            duration=duration, min_length=store.min_event_seconds)
    return store.move(event.event_id, event.rev_no, start=snapped.start, end=snapped.end, author=author,
                      note="snap" + (" to neighbours/grid" if grid else " to neighbours"))


def add_from_box(store: Store, video_id: str, x_range: Sequence[float], label: str, duration: float,
                 author: str | None = None) -> EventView:
    interval = box_to_interval(x_range, duration, store.min_event_seconds)
    return store.add_event(video_id, interval.start, interval.end, label, author=author, note="box selection")


@dataclass
class TableEdits:
    """What ``st.data_editor`` reports: ``edited_rows`` {row position: {column: value}}, ``added_rows`` [{column:
    value}], ``deleted_rows`` [row position]."""

    edited_rows: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    added_rows: Sequence[Mapping[str, Any]] = ()
    deleted_rows: Sequence[int] = ()

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> "TableEdits":
        state = state or {}
        return cls({int(k): v for k, v in (state.get("edited_rows") or {}).items()}, list(state.get("added_rows") or []),
                   [int(i) for i in state.get("deleted_rows") or []])

    @property
    def empty(self) -> bool:
        return not (self.edited_rows or self.added_rows or self.deleted_rows)


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def apply_table_edits(store: Store, video_id: str, rows: Sequence[EventView], edits: TableEdits,
                      author: str | None = None) -> list[str]:
    """Apply a table's edits (rows in the order the table showed them) one store operation each; returns what was
    done. Stops at the first refused edit (earlier ones are saved: each is its own transaction)."""
    done = []
    for position, change in sorted(edits.edited_rows.items()):
        event = rows[position]
        if "label" in change and change["label"] != event.label:
            event = store.relabel(event.event_id, event.rev_no, change["label"], author=author)
            done.append(f"event {event.event_id}: label → {event.label}")
        start = _number(change["start"], "start") if "start" in change else None
        end = _number(change["end"], "end") if "end" in change else None
        if (start is not None and start != event.start) or (end is not None and end != event.end):
            event = store.move(event.event_id, event.rev_no, start=start, end=end, author=author, note="table edit")
            done.append(f"event {event.event_id}: {event.start:.2f}–{event.end:.2f} s")
    for position in sorted(edits.deleted_rows):
        event = rows[position]
        store.delete(event.event_id, event.rev_no, author=author, note="deleted in the table")
        done.append(f"event {event.event_id}: deleted")
    for row in edits.added_rows:
        if not row.get("label"):
            raise ValueError("a new row needs a label")
        event = store.add_event(video_id, _number(row.get("start"), "start"), _number(row.get("end"), "end"),
                                row["label"], author=author, note="added in the table")
        done.append(f"event {event.event_id}: added")
    return done
