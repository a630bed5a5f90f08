"""What the store returns: plain frozen dataclasses, detached from any database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EventView:
    """The current state of an event (its head revision). Pass ``rev_no`` back as ``base_rev`` when editing it."""

    event_id: int
    video_id: str
    rev_no: int
    start: float
    end: float
    label: str
    label_id: int
    score: float | None
    state: str
    origin: str
    author: str
    updated_at: datetime
    note: str | None


@dataclass(frozen=True)
class RevisionView:
    """One append-only revision of an event, as shown in its history."""

    revision_id: int
    rev_no: int
    action: str
    start: float
    end: float
    label: str
    label_id: int
    score: float | None
    state: str
    author: str
    created_at: datetime
    note: str | None


@dataclass(frozen=True)
class VideoSummary:
    """A row of the video list: review status and how many current events are in each state."""

    video_id: str
    original_name: str | None
    duration: float
    subset: str | None
    review_status: str
    n_events: int
    state_counts: dict[str, int]


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: int
    name: str
    created_by: str
    created_at: datetime
    n_videos: int
    n_events: int
    classes: list[str]
    class_histogram: dict[str, int]
    annotations_sha256: str
