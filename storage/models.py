"""The schema (SQLAlchemy 2 typed ORM). Alembic migrations in ``storage/migrations`` create and upgrade it.

An event is a stable identity; what it says (times, label, score, state) lives in append-only ``event_revision`` rows.
``event.head_rev_no`` points at the current revision: edits advance it with a compare-and-set, which is what makes
optimistic concurrency safe on both SQLite and PostgreSQL; the unique ``(event_id, rev_no)`` pair is a second guard.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORIGINS = ("model", "human", "import")
STATES = ("proposed", "accepted", "edited", "rejected", "deleted", "added")
REVIEW_STATUSES = ("todo", "in_progress", "done", "rejected")
SUBSETS = ("train", "validation", "test")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class ClassLabel(Base):
    """One class of the project's taxonomy. Revisions point at the row, so renaming a class keeps its history."""

    __tablename__ = "class_label"
    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(Text)
    # A hash keeps the uniqueness index small: PostgreSQL refuses b-tree entries over ~2.7 kB and labels may be longer.
    name_sha256: Mapped[str] = mapped_column(String(64), unique=True)


class Video(Base):
    __tablename__ = "video"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    original_name: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float] = mapped_column(Float)
    fps: Mapped[float | None] = mapped_column(Float)
    n_frames: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    audio_rate: Mapped[int | None] = mapped_column(Integer)
    audio_channels: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    stored_path: Mapped[str | None] = mapped_column(Text)
    subset: Mapped[str | None] = mapped_column(String(16))
    container: Mapped[str | None] = mapped_column(Text)  # the demuxer's name ("mov,mp4,..."): the player's MIME type
    created_by: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Review(Base):
    """The review status of a video (one row per reviewed video; no row means ``todo``)."""

    __tablename__ = "review"
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class FeatureSet(Base):
    __tablename__ = "feature_set"
    __table_args__ = (UniqueConstraint("video_id", "profile"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"))
    profile: Mapped[str] = mapped_column(String(64))
    grid: Mapped[dict[str, Any]] = mapped_column(JSON)
    path: Mapped[str] = mapped_column(Text)
    encoders: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Model(Base):
    __tablename__ = "model"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(200), unique=True)
    checkpoint_path: Mapped[str | None] = mapped_column(Text)
    checkpoint_sha256: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    train_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot.id"))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ModelActivation(Base):
    """Append-only record of which model was made the active one, by whom and when: the newest row is the active
    model (migration 0004)."""

    __tablename__ = "model_activation"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class InferenceRun(Base):
    """A finished detection. The database is the only index of runs: the app finds a cached run by video, model,
    feature profile and label-prior weight, and the run's features through the video's feature set of its profile."""

    __tablename__ = "inference_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"), index=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("model.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    profile: Mapped[str | None] = mapped_column(String(64))
    label_prior: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    internals_path: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("author.id"))


class Event(Base):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"), index=True)
    origin: Mapped[str] = mapped_column(String(8))
    origin_run_id: Mapped[int | None] = mapped_column(ForeignKey("inference_run.id"))
    head_rev_no: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Gesture(Base):
    """One correction gesture of a person (move, merge, split, bulk accept, undo, ...): every revision it wrote shares
    its id, so undoing it reverts all the events it touched at once, and history can say which changes belong
    together. ``reverts_id`` is the gesture an undo or redo reverted. Append-only like the revisions (migration 0005).
    Imports and detections write revisions without a gesture: they are not anyone's correction."""

    __tablename__ = "gesture"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("gesture.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class EventRevision(Base):
    """Append-only: never updated or deleted (database triggers refuse it, migration 0003). ``action`` says what
    produced it (add, move, undo, ...), ``gesture_id`` the gesture it belongs to (migration 0005)."""

    __tablename__ = "event_revision"
    __table_args__ = (UniqueConstraint("event_id", "rev_no", name="uq_event_revision_event_rev"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    rev_no: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("event_revision.id"))
    action: Mapped[str] = mapped_column(String(16))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_label.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    note: Mapped[str | None] = mapped_column(Text)
    gesture_id: Mapped[int | None] = mapped_column(ForeignKey("gesture.id"), index=True)


class Snapshot(Base):
    """An immutable training set: the store offers no operation that changes one after creation, and database
    triggers refuse any UPDATE or DELETE of it, its videos and its items (migration 0003)."""

    __tablename__ = "snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("author.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    n_videos: Mapped[int] = mapped_column(Integer)
    n_events: Mapped[int] = mapped_column(Integer)
    classes: Mapped[list[str]] = mapped_column(JSON)
    class_histogram: Mapped[dict[str, int]] = mapped_column(JSON)
    annotations_sha256: Mapped[str] = mapped_column(String(64))


class SnapshotVideo(Base):
    __tablename__ = "snapshot_video"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"), primary_key=True)
    subset: Mapped[str] = mapped_column(String(16))
    duration_s: Mapped[float] = mapped_column(Float)


class SnapshotItem(Base):
    """A frozen event: the revision it came from plus its times and label as they were (class renames do not leak in)."""

    __tablename__ = "snapshot_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("event_revision.id"))
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(Text)
    label_id: Mapped[int] = mapped_column(Integer)


class SnapshotRejection(Base):
    """A frozen rejected proposal (migration 0006): "not this class, here", which fine-tuning reads as a hard
    negative; its times, label and score as they were when the snapshot was taken."""

    __tablename__ = "snapshot_rejection"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("event_revision.id"))
    video_id: Mapped[str] = mapped_column(ForeignKey("video.id"))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(Text)
    label_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
