"""The timeline editor's gestures: one message from the browser component, one operation through ``studio.editing``.

The component sends each gesture once it is done (a drag when the mouse is released, a key when it is pressed) as a
plain mapping: a ``nonce`` that is unique per gesture (so a rerun never applies the same one twice), its ``kind``, the
event it acts on with the ``rev_no`` the editor showed (optimistic concurrency: a stale tab gets the store's
``ConflictError`` and changes nothing), and the times, label or partner it needs. ``Gesture.from_message`` checks the
message; ``apply_gesture`` runs it as exactly one ``studio.editing`` call, recorded in the session's undo list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Mapping

from storage import EventView, GestureView, Store
from studio import editing
from studio.editing import EditSession
from studio.errors import ServiceError

SELECT = "select"
EDITS = ("move", "add", "accept", "reject", "delete", "restore", "relabel", "split", "merge", "undo", "redo")
KINDS = (SELECT, *EDITS)
DONE = {"move": "moved", "accept": "accepted", "reject": "rejected", "delete": "deleted", "restore": "restored",
        "relabel": "relabelled", "merge": "merged"}
NEEDS_EVENT = ("move", "accept", "reject", "delete", "restore", "relabel", "split", "merge")


class GestureError(ServiceError):
    """A message from the editor that is not a gesture it can send (a bug or a forged message; nothing changed)."""


@dataclass(frozen=True)
class Gesture:
    """One gesture of the editor. ``start``/``end`` are the new times of a move (None: that edge stays) or the span
    of an added event; ``at`` is where a split cuts; ``other_id``/``other_rev`` the second event of a merge."""

    nonce: str
    kind: str
    event_id: int | None = None
    rev_no: int | None = None
    start: float | None = None
    end: float | None = None
    label: str | None = None
    at: float | None = None
    other_id: int | None = None
    other_rev: int | None = None

    @classmethod
    def from_message(cls, message: Any) -> "Gesture":
        """The gesture a component value describes; ``GestureError`` when it is not one."""
        if not isinstance(message, Mapping):
            raise GestureError(f"a gesture is a mapping, got {type(message).__name__}")
        nonce, kind = message.get("nonce"), message.get("kind")
        if not isinstance(nonce, str) or not nonce:
            raise GestureError("a gesture needs a nonce")
        if kind not in KINDS:
            raise GestureError(f"unknown gesture {str(kind)[:40]!r}; known: {', '.join(KINDS)}")
        values: dict[str, Any] = {"nonce": nonce, "kind": kind}
        for name in ("event_id", "rev_no", "other_id", "other_rev"):
            values[name] = _integer(message.get(name), name)
        for name in ("start", "end", "at"):
            values[name] = _seconds(message.get(name), name)
        label = message.get("label")
        if label is not None and not isinstance(label, str):
            raise GestureError("a label is text")
        values["label"] = label
        gesture = cls(**values)
        gesture._check()
        return gesture

    def _check(self) -> None:
        missing = [name for name, needed in (
            ("event_id", self.kind in NEEDS_EVENT), ("rev_no", self.kind in NEEDS_EVENT),
            ("label", self.kind in ("add", "relabel")), ("start", self.kind == "add"), ("end", self.kind == "add"),
            ("at", self.kind == "split"), ("other_id", self.kind == "merge"), ("other_rev", self.kind == "merge"),
        ) if needed and getattr(self, name) is None]
        if self.kind == "move" and self.start is None and self.end is None:
            missing.append("start or end")
        if missing:
            raise GestureError(f"a {self.kind} gesture needs {', '.join(missing)}")

    def as_message(self) -> dict[str, Any]:
        """The mapping the component sends (the inverse of ``from_message``; used by tests and the benchmark)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _integer(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise GestureError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _seconds(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GestureError(f"{name} must be a finite number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Outcome:
    """What a gesture did, in words for the editor's status line, and the event to select afterwards."""

    message: str
    selected_id: int | None


def describe(event: EventView) -> str:
    return f"#{event.event_id} {event.label} {event.start:.2f}–{event.end:.2f} s ({event.state})"


def _as_seen(store: Store, video_id: str, event_id: int, rev_no: int) -> EventView:
    """The event with the revision number the editor showed, so the store refuses the edit if it changed since."""
    event = store.event(event_id)
    if event.video_id != video_id:
        raise GestureError(f"event #{event_id} belongs to another video")
    return replace(event, rev_no=rev_no)


def apply_gesture(store: Store, video_id: str, gesture: Gesture, session: EditSession,
                  author: str | None = None) -> Outcome:
    """Run one edit gesture as one ``studio.editing`` operation (and one step of ``session``'s undo list)."""
    if gesture.kind == SELECT:
        return Outcome("", gesture.event_id)
    if gesture.kind in ("undo", "redo"):
        result = (session.undo if gesture.kind == "undo" else session.redo)(store, author=author)
        return Outcome(f"{gesture.kind}: {_summary(result)}", _first_visible(result))
    if gesture.kind == "add":
        added = editing.add_event(store, video_id, gesture.start, gesture.end, gesture.label, author=author,
                                  session=session)
        return Outcome(f"added {describe(added)}", added.event_id)
    event = _as_seen(store, video_id, gesture.event_id, gesture.rev_no)
    operations: dict[str, Callable[[], Any]] = {
        "move": lambda: editing.move_to(store, event, gesture.start, gesture.end, author=author, session=session,
                                        note="timeline editor"),
        "accept": lambda: editing.accept(store, event, author=author, session=session),
        "reject": lambda: editing.reject(store, event, author=author, session=session),
        "delete": lambda: editing.delete(store, event, author=author, session=session),
        "restore": lambda: editing.restore(store, event, author=author, session=session),
        "relabel": lambda: editing.relabel(store, event, gesture.label, author=author, session=session),
        "split": lambda: editing.split(store, event, gesture.at, author=author, session=session),
        "merge": lambda: editing.merge(store, event, _as_seen(store, video_id, gesture.other_id, gesture.other_rev),
                                       author=author, session=session),
    }
    result = operations[gesture.kind]()
    if isinstance(result, tuple):
        return Outcome(f"split into {describe(result[0])} and {describe(result[1])}", result[0].event_id)
    return Outcome(f"{DONE[gesture.kind]} {describe(result)}", result.event_id)


def _summary(result: GestureView) -> str:
    return "; ".join(describe(e) for e in result.events[:3]) + (" …" if len(result.events) > 3 else "")


def _first_visible(result: GestureView) -> int | None:
    return next((e.event_id for e in result.events if e.state != "deleted"), None)
