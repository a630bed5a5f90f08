"""Every correction gesture of the app, one door: pages (and the timeline editor component's gestures) call these and
never the store's edit operations directly.

Geometry comes from ``studio.segments``, validation and the append-only record from the store. Every function writes
at once (one transaction) and returns what the store returned (the new head, usually), so nothing lives only in the
browser session; a stale ``rev_no`` raises the store's ``ConflictError`` and changes nothing.

Gestures: ``accept``, ``reject``, ``delete``, ``restore`` (a deleted event back), ``relabel``, ``move_to`` (typed
times), ``nudge_event`` (by a frame, a grid step or a typed amount), ``snap_event``, ``split``, ``merge``,
``add_event``, ``bulk_accept``, ``bulk_reject`` (the proposals below a threshold),
``apply_table_edits``; ``undo`` and ``redo`` act on one event's history, except that a merge or a split is undone
(and redone) on every event it touched. Each takes ``session=``: an ``EditSession``, the browser session's undo list,
records the gesture, and ``EditSession.undo()`` / ``.redo()`` revert the newest gestures whatever their events
(``revert_gesture`` underneath: the whole gesture in one transaction, refused when an event changed since).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from loco.grid import FeatureGrid
from storage import EventView, GestureView, StorageError, Store
from studio.errors import ServiceError
from studio.segments import Edge, Interval, nudge, snap_interval

EVENT_NUMBER = re.compile(r"\s*#?\s*(\d{1,18})\s*")


@dataclass(frozen=True)
class Step:
    """One entry of a session's undo list: a gesture and what to call it ("merge of #3 and #5")."""

    gesture_id: int
    description: str


class EditSession:
    """The correction gestures of one browser session, newest last. ``undo`` reverts the newest through the store,
    whatever event it touched; ``redo`` re-applies the newest undone one; a new gesture clears the redo list. Only
    gesture ids live here (the content is in the store). A step whose events changed since (in another session) is
    refused by the store, changes nothing and leaves the list, so the next undo goes to the gesture before it."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._done: list[Step] = []
        self._undone: list[Step] = []

    @property
    def next_undo(self) -> Step | None:
        return self._done[-1] if self._done else None

    @property
    def next_redo(self) -> Step | None:
        return self._undone[-1] if self._undone else None

    def record(self, gesture_id: int | None, description: str) -> None:
        """Remember a gesture (None, a bulk gesture that changed nothing, is not a step)."""
        if gesture_id is None:
            return
        self._done.append(Step(gesture_id, description))
        del self._done[:-self.limit]
        self._undone.clear()

    def undo(self, store: Store, author: str | None = None) -> GestureView:
        if not self._done:
            raise ServiceError("nothing to undo in this session")
        step = self._done.pop()
        result = _revert(store, step, "undo", author)
        self._undone.append(Step(result.gesture_id, step.description))
        return result

    def redo(self, store: Store, author: str | None = None) -> GestureView:
        if not self._undone:
            raise ServiceError("nothing to redo in this session")
        step = self._undone.pop()
        result = _revert(store, step, "redo", author)
        self._done.append(Step(result.gesture_id, step.description))
        return result


def _revert(store: Store, step: Step, verb: str, author: str | None) -> GestureView:
    try:
        return store.revert_gesture(step.gesture_id, author=author)
    except StorageError as error:  # same error type, saying which step and that it is dropped
        message = f"{verb} of {step.description} refused: {error} It leaves this session's undo list."
        raise type(error)(message) from None


def _ids(events: Sequence[EventView]) -> str:
    return " and ".join(f"#{e.event_id}" for e in events)


def _recorded(session: EditSession | None, verb: str, result, about: Sequence[EventView] = ()):
    """Record ``result`` (an EventView, a pair of them, or a GestureView) in ``session`` as one step, described by
    the events it is ``about`` (by default those it returned)."""
    if session is not None:
        if isinstance(result, GestureView):
            events = about or result.events
            gesture_id = result.gesture_id
        else:
            events = about or (result if isinstance(result, tuple) else (result,))
            gesture_id = (result[0] if isinstance(result, tuple) else result).gesture_id
        session.record(gesture_id, f"{verb} ({len(events)} events)" if len(events) > 2 else f"{verb} of {_ids(events)}")
    return result


def _interval(event: EventView) -> Interval:
    return Interval(event.start, event.end)


def parse_event_id(text: str) -> int:
    """The event number typed in a picker ("#209", "209"): exact, never the closest match."""
    match = EVENT_NUMBER.fullmatch(str(text))
    if match is None:
        raise ServiceError(f"type an event number such as #209, not {str(text)[:40]!r}")
    return int(match.group(1))


def accept(store: Store, event: EventView, author: str | None = None,
           session: EditSession | None = None) -> EventView:
    return _recorded(session, "accept", store.accept(event.event_id, event.rev_no, author=author))


def reject(store: Store, event: EventView, author: str | None = None,
           session: EditSession | None = None) -> EventView:
    return _recorded(session, "reject", store.reject(event.event_id, event.rev_no, author=author))


def delete(store: Store, event: EventView, author: str | None = None,
           session: EditSession | None = None) -> EventView:
    return _recorded(session, "delete", store.delete(event.event_id, event.rev_no, author=author))


def restore(store: Store, event: EventView, author: str | None = None,
            session: EditSession | None = None) -> EventView:
    """A deleted event back, in the state it had before it was deleted."""
    return _recorded(session, "restore", store.restore(event.event_id, event.rev_no, author=author))


def _recorded_revert(session: EditSession | None, verb: str, store: Store, result: EventView) -> EventView:
    """Record an undo or redo of one event's history by what it reverted: "undo of the merge of #6 and #19"."""
    if session is not None:
        gesture = store.gesture(result.gesture_id)
        session.record(gesture.gesture_id, f"{verb} of the {gesture.subject.replace('_', ' ')} of "
                                           f"{_ids(gesture.events)}")
    return result


def undo(store: Store, event: EventView, author: str | None = None,
         session: EditSession | None = None) -> EventView:
    """Undo the event's last change; a merge or split is undone on every event it touched (the absorbed event of a
    merge comes back, the right part of a split goes)."""
    return _recorded_revert(session, "undo", store, store.undo(event.event_id, event.rev_no, author=author))


def redo(store: Store, event: EventView, author: str | None = None,
         session: EditSession | None = None) -> EventView:
    """Re-apply the event's last undone change (a merge or split on every event it touched)."""
    return _recorded_revert(session, "redo", store, store.redo(event.event_id, event.rev_no, author=author))


def relabel(store: Store, event: EventView, label: str, author: str | None = None,
            session: EditSession | None = None) -> EventView:
    return _recorded(session, "relabel", store.relabel(event.event_id, event.rev_no, label, author=author))


def move_to(store: Store, event: EventView, start: float | None = None, end: float | None = None,
            author: str | None = None, session: EditSession | None = None, note: str = "typed times") -> EventView:
    """Set the start and/or end to typed times (seconds), or to where the timeline editor dragged them (``note``)."""
    start = None if start is None else _number(start, "start")
    end = None if end is None else _number(end, "end")
    return _recorded(session, "move", store.move(event.event_id, event.rev_no, start=start, end=end, author=author,
                                                 note=note))


def split(store: Store, event: EventView, at: float, author: str | None = None,
          session: EditSession | None = None) -> tuple[EventView, EventView]:
    """Cut at ``at`` seconds: the event keeps the left part, a new event the right."""
    return _recorded(session, "split", store.split(event.event_id, event.rev_no, at, author=author))


def merge(store: Store, event: EventView, other: EventView, author: str | None = None,
          session: EditSession | None = None) -> EventView:
    """``event`` spans both and keeps its label; ``other`` is deleted (undoing the merge brings it back)."""
    return _recorded(session, "merge", store.merge(event.event_id, event.rev_no, other.event_id, other.rev_no,
                                                   author=author), about=(event, other))


def add_event(store: Store, video_id: str, start: float, end: float, label: str,
              author: str | None = None, session: EditSession | None = None) -> EventView:
    return _recorded(session, "add", store.add_event(video_id, start, end, label, author=author))


def bulk_accept(store: Store, video_id: str, min_score: float, author: str | None = None,
                session: EditSession | None = None) -> GestureView:
    """Accept every proposed event of the video scoring at least ``min_score``; ``count`` says how many."""
    return _recorded(session, "bulk accept", store.bulk_accept(min_score, video_id, author=author))


def bulk_reject(store: Store, video_id: str, below: float, author: str | None = None,
                session: EditSession | None = None) -> GestureView:
    """Reject every proposed event of the video scoring below ``below``; ``count`` says how many."""
    return _recorded(session, "bulk reject", store.bulk_reject(below, video_id, author=author))


def nudge_event(store: Store, event: EventView, edge: Edge, delta: float, duration: float,
                author: str | None = None, session: EditSession | None = None) -> EventView:
    """Move an edge (or the whole event) by ``delta`` seconds: a frame, a grid step or a typed amount per click."""
    moved = nudge(_interval(event), edge, delta, duration, store.min_event_seconds)
    return _recorded(session, "nudge", store.move(event.event_id, event.rev_no, start=moved.start, end=moved.end,
                                                  author=author, note=f"nudge {edge} {delta:+.3f} s"))


def snap_event(store: Store, event: EventView, others: Sequence[EventView], grid: FeatureGrid | None,
               duration: float, tolerance: float, author: str | None = None,
               session: EditSession | None = None) -> EventView:
    """Snap both edges to the nearest edge of another event within ``tolerance`` s, else to the grid (if given)."""
    neighbours = [_interval(o) for o in others if o.event_id != event.event_id]
    snapped = snap_interval(_interval(event), neighbours=neighbours, tolerance=tolerance, grid=grid,
                            duration=duration, min_length=store.min_event_seconds)
    return _recorded(session, "snap", store.move(event.event_id, event.rev_no, start=snapped.start, end=snapped.end,
                                                 author=author,
                                                 note="snap" + (" to neighbours/grid" if grid else " to neighbours")))


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
                      author: str | None = None, session: EditSession | None = None) -> list[str]:
    """Apply a table's edits (rows in the order the table showed them) one store operation each; returns what was
    done. Stops at the first refused edit (earlier ones are saved: each is its own transaction and its own step)."""
    done = []
    for position, change in sorted(edits.edited_rows.items()):
        event = rows[position]
        if "label" in change and change["label"] != event.label:
            event = _recorded(session, "relabel", store.relabel(event.event_id, event.rev_no, change["label"],
                                                                author=author))
            done.append(f"event {event.event_id}: label → {event.label}")
        start = _number(change["start"], "start") if "start" in change else None
        end = _number(change["end"], "end") if "end" in change else None
        if (start is not None and start != event.start) or (end is not None and end != event.end):
            event = _recorded(session, "move", store.move(event.event_id, event.rev_no, start=start, end=end,
                                                          author=author, note="table edit"))
            done.append(f"event {event.event_id}: {event.start:.2f}–{event.end:.2f} s")
    for position in sorted(edits.deleted_rows):
        event = rows[position]
        _recorded(session, "delete", store.delete(event.event_id, event.rev_no, author=author,
                                                  note="deleted in the table"))
        done.append(f"event {event.event_id}: deleted")
    for row in edits.added_rows:
        if not row.get("label"):
            raise ValueError("a new row needs a label")
        event = _recorded(session, "add", store.add_event(video_id, _number(row.get("start"), "start"),
                                                          _number(row.get("end"), "end"), row["label"],
                                                          author=author, note="added in the table"))
        done.append(f"event {event.event_id}: added")
    return done
