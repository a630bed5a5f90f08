"""Events and their append-only revisions: the current view, history, and every edit.

Every edit names the revision it was based on (``base_rev``, the ``rev_no`` the caller saw). The edit advances the
event's head with a compare-and-set; if anyone else moved the head since, a ``ConflictError`` says so and nothing is
written. Undo and redo are new revisions that copy an earlier revision's content, so history is never rewritten.

Every correction is one gesture (a ``gesture`` row): the revisions it wrote, one per event it touched, carry its id.
``revert_gesture`` undoes a whole gesture in one transaction (a merge: the kept event back to its span and the absorbed
one back from deleted; a split: the left part back to the whole, the right part deleted), refusing when any of its
events changed since, as a single edit would; reverting an undo is its redo. Per-event ``undo``/``redo`` and gesture
reverts agree because both follow one replay of each event's history (``_undo_stacks``), and a per-event undo whose
change was a merge or split reverts that whole gesture: nothing is left half undone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loco.progress import Progress
from storage.core import StoreCore
from storage.errors import ConflictError, NotFoundError, ValidationError
from storage.models import STATES, Author, ClassLabel, Event, EventRevision, Gesture, Video, utc_now
from storage.views import EventView, GestureView, RevisionView

VISIBLE_STATES = tuple(s for s in STATES if s != "deleted")
TRAINING_STATES = ("accepted", "edited", "added")
CHUNK = 2000
REVERT_ACTIONS = ("undo", "redo")  # gestures whose subject is the gesture they revert
GROUP_SUBJECTS = ("merge", "split")  # gestures that change identities: never undone on one of their events alone


@dataclass(frozen=True)
class _Entry:
    """A place on an event's undo or redo stack: the revision whose content it holds and the gesture that put it
    there (the edit itself, or the undo or redo that moved it)."""

    revision: EventRevision
    gesture_id: int | None


@dataclass(frozen=True)
class NewEvent:
    """An event to insert in bulk (import, model predictions). ``score`` is None for human annotations."""

    video_id: str
    start: float
    end: float
    label: str
    score: float | None = None


def check_times(start: float, end: float, duration: float, min_length: float = 0.0) -> None:
    """0 <= start < end <= duration, and at least ``min_length`` long."""
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError):
        raise ValidationError(f"start and end must be numbers, got {start!r} and {end!r}") from None
    if not (0.0 <= start < end <= duration):
        raise ValidationError(f"need 0 <= start < end <= duration ({duration:g} s), got start={start:g}, end={end:g}")
    if end - start < min_length - 1e-9:
        raise ValidationError(f"an event must last at least one grid step ({min_length:g} s), got {end - start:g} s")


def _current_query() -> Select:
    return (
        select(
            Event.id, Event.video_id, EventRevision.rev_no, EventRevision.start_s, EventRevision.end_s,
            ClassLabel.name, ClassLabel.label_id, EventRevision.score, EventRevision.state, Event.origin,
            Author.name, EventRevision.created_at, EventRevision.note, EventRevision.action, EventRevision.gesture_id,
        )
        .join(EventRevision, (EventRevision.event_id == Event.id) & (EventRevision.rev_no == Event.head_rev_no))
        .join(ClassLabel, ClassLabel.id == EventRevision.class_id)
        .join(Author, Author.id == EventRevision.author_id)
    )


# Statements used by every single edit, built once (SQLAlchemy caches their compiled form).
# Lock the event row alone first: PostgreSQL re-checks a blocked ``FOR UPDATE`` against the new row version only,
# so locking inside the head join would drop the row once another edit moved the head.
_LOCK_EVENT = select(Event.id).where(Event.id == bindparam("event_id")).with_for_update()
_HEAD_QUERY = (
    select(Event, EventRevision, Video.duration_s)
    .join(EventRevision, (EventRevision.event_id == Event.id) & (EventRevision.rev_no == Event.head_rev_no))
    .join(Video, Video.id == Event.video_id)
    .where(Event.id == bindparam("event_id"))
)
_VIEW_QUERY = _current_query().where(Event.id == bindparam("event_id"))
_ADVANCE_HEAD = (
    update(Event).where(Event.id == bindparam("event_id"), Event.head_rev_no == bindparam("base_rev"))
    .values(head_rev_no=bindparam("new_rev")).execution_options(synchronize_session=False)
)


def _content(revision: EventRevision) -> dict:
    return {
        "start_s": revision.start_s, "end_s": revision.end_s, "class_id": revision.class_id,
        "score": revision.score, "state": revision.state,
    }


def _edited_state(state: str) -> str:
    return "added" if state == "added" else "edited"


def _refuse_deleted(head: EventRevision, doing: str) -> None:
    if head.state == "deleted":
        raise ValidationError(f"event {head.event_id} is deleted; restore it before {doing}")


class EventOps(StoreCore):
    # ----------------------------------------------------------------------------------------------- reading
    def current_events(
        self,
        video_id: str | Sequence[str] | None = None,
        states: Iterable[str] | None = None,
        min_score: float | None = None,
        labels: Iterable[str] | None = None,
        run_id: int | None = None,
    ) -> list[EventView]:
        """Current events, ordered by video and start. ``states`` defaults to everything but ``deleted``;
        ``min_score`` keeps scored events at or above it (human events, unscored, always pass); ``run_id`` keeps the
        events one detection proposed."""
        query = _current_query()
        if run_id is not None:
            query = query.where(Event.origin_run_id == run_id)
        if video_id is not None:
            ids = [video_id] if isinstance(video_id, str) else list(video_id)
            query = query.where(Event.video_id.in_(ids))
        states = tuple(VISIBLE_STATES if states is None else states)
        unknown = set(states) - set(STATES)
        if unknown:
            raise ValidationError(f"unknown state(s) {sorted(unknown)}; known: {list(STATES)}")
        query = query.where(EventRevision.state.in_(states))
        if min_score is not None:
            query = query.where((EventRevision.score.is_(None)) | (EventRevision.score >= float(min_score)))
        if labels is not None:
            query = query.where(ClassLabel.name.in_(list(labels)))
        query = query.order_by(Event.video_id, EventRevision.start_s, Event.id)
        with self._read() as session:
            return [EventView(*row) for row in session.execute(query)]

    def current_events_df(self, *args, **kwargs) -> pd.DataFrame:
        """``current_events`` as a DataFrame (one row per event, the EventView fields as columns)."""
        columns = list(EventView.__dataclass_fields__)
        return pd.DataFrame([e.__dict__ for e in self.current_events(*args, **kwargs)], columns=columns)

    def event(self, event_id: int) -> EventView:
        with self._read() as session:
            return self._view(session, event_id)

    @staticmethod
    def _view(session: Session, event_id: int) -> EventView:
        row = session.execute(_VIEW_QUERY, {"event_id": event_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no event {event_id}")
        return EventView(*row)

    def history(self, event_id: int) -> list[RevisionView]:
        """All revisions of an event, oldest first."""
        query = (
            select(
                EventRevision.id, EventRevision.rev_no, EventRevision.action, EventRevision.start_s,
                EventRevision.end_s, ClassLabel.name, ClassLabel.label_id, EventRevision.score, EventRevision.state,
                Author.name, EventRevision.created_at, EventRevision.note, EventRevision.gesture_id,
            )
            .join(ClassLabel, ClassLabel.id == EventRevision.class_id)
            .join(Author, Author.id == EventRevision.author_id)
            .where(EventRevision.event_id == event_id)
            .order_by(EventRevision.rev_no)
        )
        with self._read() as session:
            rows = [RevisionView(*row) for row in session.execute(query)]
        if not rows:
            raise NotFoundError(f"no event {event_id}")
        return rows

    def gesture(self, gesture_id: int) -> GestureView:
        """A gesture and the current state of every event it touched."""
        with self._read() as session:
            return self._gesture_view(session, gesture_id)

    # ----------------------------------------------------------------------------------------------- editing
    def add_event(
        self, video_id: str, start: float, end: float, label: str, author: str | None = None,
        note: str | None = None,
    ) -> EventView:
        """A human-added event (state ``added``)."""
        author_id = self._author_id(author)
        with self._write() as session:
            duration = self._duration(session, video_id)
            check_times(start, end, duration, self.min_event_seconds)
            class_id = self._class_id(session, label)
            gesture_id = self._new_gesture(session, "add", author_id)
            event = Event(video_id=video_id, origin="human", head_rev_no=1, created_by=author_id)
            session.add(event)
            session.flush()
            session.add(EventRevision(
                event_id=event.id, rev_no=1, action="add", start_s=float(start), end_s=float(end), class_id=class_id,
                score=None, state="added", author_id=author_id, note=note, gesture_id=gesture_id,
            ))
            session.flush()
            return self._view(session, event.id)

    def move(
        self, event_id: int, base_rev: int, start: float | None = None, end: float | None = None,
        author: str | None = None, note: str | None = None,
    ) -> EventView:
        """Move the start and/or end boundary."""
        return self._edit(event_id, base_rev, "move", author, note, lambda head, _: {
            "start_s": head["start_s"] if start is None else float(start),
            "end_s": head["end_s"] if end is None else float(end),
            "state": _edited_state(head["state"]),
        })

    def relabel(self, event_id: int, base_rev: int, label: str, author: str | None = None,
                note: str | None = None) -> EventView:
        return self._edit(event_id, base_rev, "relabel", author, note, lambda head, session: {
            "class_id": self._class_id(session, label), "state": _edited_state(head["state"]),
        })

    def accept(self, event_id: int, base_rev: int, author: str | None = None, note: str | None = None) -> EventView:
        return self._edit(event_id, base_rev, "accept", author, note, lambda head, _: {"state": "accepted"})

    def reject(self, event_id: int, base_rev: int, author: str | None = None, note: str | None = None) -> EventView:
        return self._edit(event_id, base_rev, "reject", author, note, lambda head, _: {"state": "rejected"})

    def delete(self, event_id: int, base_rev: int, author: str | None = None, note: str | None = None) -> EventView:
        return self._edit(event_id, base_rev, "delete", author, note, lambda head, _: {"state": "deleted"})

    def restore(self, event_id: int, base_rev: int, author: str | None = None, note: str | None = None) -> EventView:
        """Undelete: back to the state the event had before it was deleted."""

        def change(head: dict, session: Session) -> dict:
            if head["state"] != "deleted":
                raise ValidationError(f"event {event_id} is not deleted")
            previous = session.scalar(
                select(EventRevision.state)
                .where(EventRevision.event_id == event_id, EventRevision.state != "deleted")
                .order_by(EventRevision.rev_no.desc()).limit(1)
            )
            return {"state": previous}

        return self._edit(event_id, base_rev, "restore", author, note, change, allow_deleted=True)

    def undo(self, event_id: int, base_rev: int, author: str | None = None) -> EventView:
        """Return the event to the content it had before its last edit (a new revision). When that edit was a merge
        or a split, the whole gesture is reverted: every event it touched (``gesture_id`` of the result)."""
        return self._undo_redo(event_id, base_rev, author, redo=False)

    def redo(self, event_id: int, base_rev: int, author: str | None = None) -> EventView:
        """Re-apply the last undone edit (a new revision); an undone merge or split on every event it touched."""
        return self._undo_redo(event_id, base_rev, author, redo=True)

    def can_undo_redo(self, event_id: int) -> tuple[bool, bool]:
        with self._read() as session:
            done, undone = self._undo_stacks(session, event_id)
            # the right part of a split has one revision, yet undoing it (the whole split) is possible
            group = bool(done) and self._group(session, done[-1].gesture_id, event_id) is not None
        return len(done) > 1 or group, bool(undone)

    def split(self, event_id: int, base_rev: int, at: float, author: str | None = None,
              note: str | None = None) -> tuple[EventView, EventView]:
        """Cut an event at ``at`` seconds: the event keeps the left part, a new ``added`` event holds the right.
        Both revisions are one gesture, so reverting it gives the whole event back and deletes the right part."""
        author_id = self._author_id(author)
        with self._write() as session:
            event, head, duration = self._head(session, event_id, base_rev)
            _refuse_deleted(head, "splitting")
            at = float(at)
            check_times(head.start_s, at, duration, self.min_event_seconds)
            check_times(at, head.end_s, duration, self.min_event_seconds)
            gesture_id = self._new_gesture(session, "split", author_id)
            self._append(session, event, head, duration, "split", author_id, note,
                         {"end_s": at, "state": _edited_state(head.state)}, gesture_id)
            right = Event(video_id=event.video_id, origin="human", head_rev_no=1, created_by=author_id)
            session.add(right)
            session.flush()
            session.add(EventRevision(
                event_id=right.id, rev_no=1, action="split", start_s=at, end_s=head.end_s, class_id=head.class_id,
                score=head.score, state="added", author_id=author_id, gesture_id=gesture_id,
                note=note if note is not None else f"split from event {event_id}",
            ))
            session.flush()
            return self._view(session, event_id), self._view(session, right.id)

    def merge(self, event_id: int, base_rev: int, other_id: int, other_base_rev: int, label: str | None = None,
              author: str | None = None, note: str | None = None) -> EventView:
        """Merge two events of one video: the first spans both (with its label unless ``label`` is given), the
        second is deleted. Both base revisions are checked; both revisions are one gesture (``gesture_id`` of the
        result), so reverting it brings both back as they were."""
        if event_id == other_id:
            raise ValidationError("cannot merge an event with itself")
        author_id = self._author_id(author)
        with self._write() as session:
            event, head, duration = self._head(session, event_id, base_rev)
            other, other_head, _ = self._head(session, other_id, other_base_rev)
            _refuse_deleted(head, "merging")
            _refuse_deleted(other_head, "merging")
            if event.video_id != other.video_id:
                raise ValidationError(f"events {event_id} and {other_id} belong to different videos")
            changes = {
                "start_s": min(head.start_s, other_head.start_s), "end_s": max(head.end_s, other_head.end_s),
                "state": _edited_state(head.state),
            }
            if label is not None:
                changes["class_id"] = self._class_id(session, label)
            gesture_id = self._new_gesture(session, "merge", author_id)
            self._append(session, event, head, duration, "merge", author_id, note, changes, gesture_id)
            self._append(session, other, other_head, duration, "merge", author_id,
                         note if note is not None else f"merged into event {event_id}", {"state": "deleted"},
                         gesture_id)
            return self._view(session, event_id)

    def revert_gesture(self, gesture_id: int, author: str | None = None) -> GestureView:
        """Undo a whole gesture in one transaction: every event it touched returns to the content it had just before
        (an event the gesture created is deleted). Reverting an undo re-applies what it undid (its redo). Refused,
        changing nothing, when any of its events changed since and that change is still in effect."""
        author_id = self._author_id(author)
        with self._write() as session:
            gesture = session.get(Gesture, gesture_id)
            if gesture is None:
                raise NotFoundError(f"no gesture {gesture_id}")
            return self._gesture_view(session, self._revert(session, gesture, author_id))

    def bulk_accept(self, min_score: float, video_id: str | Sequence[str] | None = None, author: str | None = None,
                    progress: Progress | None = None) -> GestureView:
        """Accept every ``proposed`` event scoring at least ``min_score`` (in the given videos, or all): one
        transaction and one gesture, all or nothing. ``count`` of the result says how many were accepted."""
        return self._bulk("accept", EventRevision.score >= float(min_score), video_id, author, progress)

    def bulk_reject(self, below: float, video_id: str | Sequence[str] | None = None, author: str | None = None,
                    progress: Progress | None = None) -> GestureView:
        """Reject every ``proposed`` event scoring below ``below`` (the proposals under a score threshold): one
        transaction and one gesture, all or nothing. Reviewed events (accepted, edited, ...) stay as they are."""
        return self._bulk("reject", EventRevision.score < float(below), video_id, author, progress)

    def _bulk(self, action: str, condition, video_id: str | Sequence[str] | None, author: str | None,
              progress: Progress | None) -> GestureView:
        """Give every proposed head matching ``condition`` the state of ``action`` (accept, reject)."""
        state = {"accept": "accepted", "reject": "rejected"}[action]
        author_id = self._author_id(author)
        query = (
            select(EventRevision)
            .join(Event, (EventRevision.event_id == Event.id) & (EventRevision.rev_no == Event.head_rev_no))
            .where(EventRevision.state == "proposed", condition)
            .order_by(Event.id)
            .with_for_update(of=Event)
        )
        if video_id is not None:
            query = query.where(Event.video_id.in_([video_id] if isinstance(video_id, str) else list(video_id)))
        with self._write() as session:
            heads = list(session.scalars(query))
            if not heads:
                return GestureView(None, f"bulk_{action}", f"bulk_{action}", "", None, None, ())
            gesture_id = self._new_gesture(session, f"bulk_{action}", author_id)
            now = utc_now()
            for done in range(0, len(heads), CHUNK):
                chunk = heads[done:done + CHUNK]
                session.execute(insert(EventRevision), [{
                    **_content(head), "event_id": head.event_id, "rev_no": head.rev_no + 1, "parent_id": head.id,
                    "action": action, "state": state, "author_id": author_id, "created_at": now, "note": None,
                    "gesture_id": gesture_id,
                } for head in chunk])
                for head in chunk:
                    session.execute(update(Event).where(Event.id == head.event_id, Event.head_rev_no == head.rev_no)
                                    .values(head_rev_no=head.rev_no + 1))
                if progress:
                    progress((done + len(chunk)) / len(heads), f"{state} {done + len(chunk)} of {len(heads)}")
            return self._gesture_view(session, gesture_id)

    # ----------------------------------------------------------------------------------------------- bulk insert
    def _insert_events(self, session: Session, events: Sequence[NewEvent], *, origin: str, state: str, action: str,
                       author_id: int, run_id: int | None = None, progress: Progress | None = None,
                       durations: dict[str, float] | None = None) -> list[int]:
        """Validate and insert many events with their first revision (inside the caller's transaction)."""
        classes = self._class_map(session)
        if durations is None:
            ids = sorted({e.video_id for e in events})
            durations = dict(session.execute(select(Video.id, Video.duration_s).where(Video.id.in_(ids))).all())
        problems = []
        for index, new in enumerate(events):
            try:
                if new.video_id not in durations:
                    raise NotFoundError(f"no video {new.video_id!r}; record it first")
                if new.label not in classes:
                    raise ValidationError(f"label {new.label[:80]!r} is not in the taxonomy")
                check_times(new.start, new.end, durations[new.video_id])
            except ValidationError as error:
                problems.append(f"event {index + 1} ({new.video_id}): {error}")
        if problems:
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ValidationError(f"{len(problems)} invalid event(s), nothing imported: " + "; ".join(problems[:5]) + more)
        now, event_ids = utc_now(), []
        for done in range(0, len(events), CHUNK):
            chunk = events[done:done + CHUNK]
            ids = session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True), [{
                "video_id": e.video_id, "origin": origin, "origin_run_id": run_id, "head_rev_no": 1,
                "created_by": author_id, "created_at": now,
            } for e in chunk]).all()
            session.execute(insert(EventRevision), [{
                "event_id": event_id, "rev_no": 1, "parent_id": None, "action": action, "start_s": float(e.start),
                "end_s": float(e.end), "class_id": classes[e.label][0], "score": None if e.score is None else float(e.score),
                "state": state, "author_id": author_id, "created_at": now, "note": None,
            } for event_id, e in zip(ids, chunk)])
            event_ids.extend(ids)
            if progress:
                progress((done + len(chunk)) / max(1, len(events)), f"stored {done + len(chunk)} of {len(events)} events")
        return event_ids

    # ----------------------------------------------------------------------------------------------- internals
    @staticmethod
    def _duration(session: Session, video_id: str) -> float:
        duration = session.scalar(select(Video.duration_s).where(Video.id == video_id))
        if duration is None:
            raise NotFoundError(f"no video {video_id!r}")
        return duration

    @staticmethod
    def _lock(session: Session, event_id: int) -> tuple[Event, EventRevision, float]:
        """The event, its head revision and its video's duration, locked for update."""
        session.execute(_LOCK_EVENT, {"event_id": event_id})
        row = session.execute(_HEAD_QUERY, {"event_id": event_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no event {event_id}")
        event, head, duration = row
        return event, head, duration

    @staticmethod
    def _last_change(session: Session, head: EventRevision) -> str:
        author = session.scalar(select(Author.name).where(Author.id == head.author_id))
        return f"{head.action} by {author} at {head.created_at:%Y-%m-%d %H:%M:%S}"

    def _head(self, session: Session, event_id: int, base_rev: int) -> tuple[Event, EventRevision, float]:
        """``_lock``, refused if the head moved since ``base_rev``."""
        event, head, duration = self._lock(session, event_id)
        if event.head_rev_no != base_rev:
            raise ConflictError(
                f"event {event_id} was changed since revision {base_rev}: it is now at revision {event.head_rev_no} "
                f"({self._last_change(session, head)}); reload it and redo your edit. Nothing was overwritten."
            )
        return event, head, duration

    def _revert(self, session: Session, gesture: Gesture, author_id: int) -> int:
        """Revert ``gesture`` on every event it touched (in event order, so concurrent reverts lock alike); returns
        the new gesture's id. On each event the gesture must be what is in effect: the top of its done stack (of its
        redo stack for an undo), whatever balanced changes came after it."""
        action = "redo" if gesture.action == "undo" else "undo"
        subject = self._subject(session, gesture)
        event_ids = list(session.scalars(select(EventRevision.event_id).where(EventRevision.gesture_id == gesture.id)
                                         .distinct().order_by(EventRevision.event_id)))
        if not event_ids:
            raise ValidationError(f"gesture {gesture.id} changed no event: nothing to {action}")
        new_id = self._new_gesture(session, action, author_id, reverts=gesture.id)
        for event_id in event_ids:
            event, head, duration = self._lock(session, event_id)
            done, undone = self._undo_stacks(session, event_id)
            stack = undone if action == "redo" else done
            if not stack or stack[-1].gesture_id != gesture.id:
                raise ConflictError(
                    f"event {event_id} was changed after the {subject} (gesture {gesture.id}): its last change is "
                    f"revision {head.rev_no} ({self._last_change(session, head)}); cannot {action} the {subject}: "
                    f"it stays as it is and nothing was changed."
                )
            if action == "redo":
                content = _content(undone[-1].revision)
            elif len(done) > 1:
                content = _content(done[-2].revision)
            else:  # the gesture created this event (an add, a split's right part): undoing it deletes the event
                content = {**_content(done[-1].revision), "state": "deleted"}
            self._append(session, event, head, duration, action, author_id,
                         f"{action} of the {subject} (gesture {gesture.id})", content, new_id, restoring=True)
        return new_id

    def _group(self, session: Session, gesture_id: int | None, event_id: int) -> Gesture | None:
        """The merge or split (or its undo or redo) that also touched other events, which an undo or redo of
        ``event_id`` must revert as a whole; None for a change of this event alone."""
        if gesture_id is None:
            return None
        gesture = session.get(Gesture, gesture_id)
        if self._subject(session, gesture) not in GROUP_SUBJECTS:
            return None
        others = session.scalar(select(EventRevision.id).where(EventRevision.gesture_id == gesture_id,
                                                               EventRevision.event_id != event_id).limit(1))
        return gesture if others is not None else None

    @staticmethod
    def _new_gesture(session: Session, action: str, author_id: int, reverts: int | None = None) -> int:
        gesture = Gesture(action=action, author_id=author_id, reverts_id=reverts)
        session.add(gesture)
        session.flush()
        return gesture.id

    @staticmethod
    def _subject(session: Session, gesture: Gesture) -> str:
        """What a gesture is about: an undo or redo is about the gesture it reverts, down the chain."""
        while gesture.action in REVERT_ACTIONS and gesture.reverts_id is not None:
            gesture = session.get(Gesture, gesture.reverts_id)
        return gesture.action

    def _gesture_view(self, session: Session, gesture_id: int) -> GestureView:
        row = session.execute(select(Gesture, Author.name).join(Author, Author.id == Gesture.author_id)
                              .where(Gesture.id == gesture_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no gesture {gesture_id}")
        gesture, author = row
        touched = select(EventRevision.event_id).where(EventRevision.gesture_id == gesture_id)
        events = tuple(EventView(*r) for r in session.execute(
            _current_query().where(Event.id.in_(touched)).order_by(Event.video_id, EventRevision.start_s, Event.id)))
        return GestureView(gesture.id, gesture.action, self._subject(session, gesture), author, gesture.created_at,
                           gesture.reverts_id, events)

    def _append(self, session: Session, event: Event, head: EventRevision, duration: float, action: str,
                author_id: int, note: str | None, changes: dict, gesture_id: int, restoring: bool = False) -> None:
        """Write revision head+1 with ``changes`` applied, after validating it; compare-and-set the event's head.

        The one-grid-step minimum applies to new times only: a model proposal may be shorter, and accepting it, or
        undoing back to it (``restoring`` earlier content), must not be refused for a length nobody chose."""
        content = {**_content(head), **changes}
        if content["state"] != "deleted":
            new_times = (content["start_s"], content["end_s"]) != (head.start_s, head.end_s)
            check_times(content["start_s"], content["end_s"], duration,
                        self.min_event_seconds if new_times and not restoring else 0.0)
        moved = session.connection().execute(
            _ADVANCE_HEAD, {"event_id": event.id, "base_rev": head.rev_no, "new_rev": head.rev_no + 1})
        if moved.rowcount != 1:
            raise ConflictError(f"event {event.id} was changed by someone else while saving; nothing was overwritten")
        try:
            session.connection().execute(EventRevision.__table__.insert(), {
                "event_id": event.id, "rev_no": head.rev_no + 1, "parent_id": head.id, "action": action,
                "author_id": author_id, "note": note, "created_at": utc_now(), "gesture_id": gesture_id, **content})
        except IntegrityError as error:
            raise ConflictError(f"event {event.id} was changed by someone else while saving; nothing was "
                                f"overwritten") from error

    def _edit(self, event_id: int, base_rev: int, action: str, author: str | None, note: str | None,
              change: Callable[[dict, Session], dict], allow_deleted: bool = False) -> EventView:
        author_id = self._author_id(author)
        with self._write() as session:
            event, head, duration = self._head(session, event_id, base_rev)
            if not allow_deleted:
                _refuse_deleted(head, "editing")
            content = change(_content(head), session)
            self._append(session, event, head, duration, action, author_id, note, content,
                         self._new_gesture(session, action, author_id))
            return self._view(session, event_id)

    @staticmethod
    def _undo_stacks(session: Session, event_id: int) -> tuple[list[_Entry], list[_Entry]]:
        """Replay the history: edits push onto the done stack (clearing redo), undo moves the top to the redo stack,
        redo moves it back. The current content is the top of the done stack; an empty done stack means the event's
        creation was undone (a reverted add or split: the event is deleted)."""
        done: list[_Entry] = []
        undone: list[_Entry] = []
        revisions = list(session.scalars(
            select(EventRevision).where(EventRevision.event_id == event_id).order_by(EventRevision.rev_no)))
        if not revisions:
            raise NotFoundError(f"no event {event_id}")
        for revision in revisions:
            if revision.action == "undo":
                undone.append(_Entry(done.pop().revision, revision.gesture_id))
            elif revision.action == "redo":
                done.append(_Entry(undone.pop().revision, revision.gesture_id))
            else:
                done.append(_Entry(revision, revision.gesture_id))
                undone.clear()
        return done, undone

    def _undo_redo(self, event_id: int, base_rev: int, author: str | None, redo: bool) -> EventView:
        author_id = self._author_id(author)
        with self._write() as session:
            event, head, duration = self._head(session, event_id, base_rev)
            done, undone = self._undo_stacks(session, event_id)
            stack = undone if redo else done
            reverted = stack[-1] if stack else None  # the change this undo or redo reverses
            group = self._group(session, reverted.gesture_id, event_id) if reverted else None
            action = "redo" if redo else "undo"
            if group is not None:
                self._revert(session, group, author_id)
            elif not stack or (not redo and len(done) < 2):
                raise ValidationError(f"nothing to {action} on event {event_id}")
            else:
                target = undone[-1] if redo else done[-2]
                self._append(session, event, head, duration, action, author_id,
                             f"{action} to the content of revision {target.revision.rev_no}",
                             _content(target.revision),
                             self._new_gesture(session, action, author_id, reverts=reverted.gesture_id),
                             restoring=True)
            return self._view(session, event_id)
