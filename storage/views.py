"""What the store returns: plain frozen dataclasses, detached from any database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EventView:
    """The current state of an event (its head revision). Pass ``rev_no`` back as ``base_rev`` when editing it.
    ``action`` and ``gesture_id`` say what wrote the head (``gesture_id`` is None for imports and detections)."""

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
    action: str = ""
    gesture_id: int | None = None


@dataclass(frozen=True)
class GestureView:
    """One correction gesture and the current state of every event it touched (a merge: both; a bulk accept: all).
    ``subject`` is the action of the gesture an undo or redo ultimately reverts ("merge" for the undo of a merge),
    the gesture's own action otherwise. ``gesture_id`` is None when a bulk gesture found nothing to change."""

    gesture_id: int | None
    action: str
    subject: str
    author: str
    created_at: datetime | None
    reverts_id: int | None
    events: tuple[EventView, ...]

    @property
    def count(self) -> int:
        return len(self.events)


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
    gesture_id: int | None = None


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
    subsets: dict[str, int]  # videos per split: what training validates and Evaluate tests on
    n_rejected: int = 0  # rejected proposals frozen with it: hard negatives for fine-tuning


@dataclass(frozen=True)
class VideoView:
    """One video as recorded: its duration and what probing the file said (``None`` where nothing is known)."""

    video_id: str
    duration: float
    sha256: str | None
    original_name: str | None
    fps: float | None
    n_frames: int | None
    width: int | None
    height: int | None
    audio_rate: int | None
    audio_channels: int | None
    size_bytes: int | None
    stored_path: str | None
    subset: str | None
    container: str | None


@dataclass(frozen=True)
class ModelView:
    """A recorded model (its checkpoint may have been deleted since: check ``checkpoint_path`` before loading)."""

    model_id: int
    version: str
    checkpoint_path: str | None
    checkpoint_sha256: str | None
    train_snapshot_id: int | None
    metrics: dict
    created_at: datetime


@dataclass(frozen=True)
class RunView:
    """A finished detection with everything the inspection pages need: the model, the feature file of its profile,
    the internals file and the video's media."""

    run_id: int
    video_id: str
    model_version: str | None
    checkpoint_path: str | None
    checkpoint_sha256: str | None
    profile: str | None
    label_prior: float
    internals_path: str | None
    feature_path: str | None
    media_path: str | None
    container: str | None
    duration: float
    fps: float | None
    num_events: int
    finished_at: datetime | None
