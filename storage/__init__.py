"""LoCo Studio's annotation store: annotations that are never lost.

SQLite by default (``<data dir>/loco.sqlite``), any SQLAlchemy URL by ``LOCO_DATABASE_URL`` (e.g.
``postgresql+psycopg://user@host/db``); the schema is created and upgraded by Alembic migrations on open.

    store = open_store()
    store.record_video(sha, duration=42.0, original_name="clip.mp4")
    store.record_inference_run(sha, prediction.events, model_version="loco-compact-1")
    events = store.current_events(sha, min_score=0.3)             # list[EventView]; current_events_df -> DataFrame
    event = store.move(events[0].event_id, events[0].rev_no, start=1.2)   # returns the new head (EventView)
    store.undo(event.event_id, event.rev_no)
    store.export_annotations("unav_json")                        # str/bytes; export_file writes atomically
    snap = store.create_snapshot("v1", [sha]); store.export_snapshot(snap.snapshot_id, "out/")

Reading: list_videos, videos_df, video, current_events, current_events_df, event, history, can_undo_redo, gesture,
classes, list_snapshots, snapshot, snapshot_annotations, feature_paths, models, model, active_model, runs, latest_run.
Writing (each one transaction): record_video, set_review, assign_subsets, assign_random_split (train / validation /
test per video), record_feature_set, record_model, activate_model, record_inference_run, import_events,
import_annotations, import_file, add_event, move, relabel, accept, reject, delete, restore, split, merge, undo, redo,
revert_gesture, bulk_accept, bulk_reject, add_class, rename_class, create_snapshot. Every correction is one gesture
(``EventView.gesture_id``): reverting it undoes it on every event it touched (both events of a merge), and reverting
an undo redoes it.
Errors: ValidationError / NotFoundError / FormatError (bad request, nothing changed) and ConflictError (the event
changed since the revision an edit was based on; nothing overwritten), all ValueErrors.
"""

from storage.core import default_author
from storage.errors import ConflictError, FormatError, NotFoundError, StorageError, ValidationError
from storage.events import TRAINING_STATES, VISIBLE_STATES, NewEvent
from storage.formats import EXPORT_FORMATS, IMPORT_FORMATS
from storage.models import REVIEW_STATUSES, STATES
from storage.store import Store, open_store
from storage.taxonomy import ClassInfo
from storage.views import (
    EventView, GestureView, ModelView, RevisionView, RunView, SnapshotInfo, VideoSummary, VideoView,
)

__all__ = [
    "ClassInfo", "ConflictError", "EXPORT_FORMATS", "EventView", "FormatError", "GestureView", "IMPORT_FORMATS",
    "ModelView", "NewEvent", "NotFoundError", "REVIEW_STATUSES", "RevisionView", "RunView", "STATES", "SnapshotInfo",
    "Store", "StorageError", "TRAINING_STATES", "VISIBLE_STATES", "ValidationError", "VideoSummary", "VideoView",
    "default_author", "open_store",
]
