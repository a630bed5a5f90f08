"""Immutable training sets. A snapshot freezes the current accepted, edited and added events of chosen videos with a
train/validation/test split, and the proposals rejected in them (hard negatives for fine-tuning); it is exported as a
UnAV-format dataset that the training code reads directly, the rejections in a field of their own beside
``database`` (``loco.evaluate.REJECTED_KEY``, docs/data.md), so the file stays standard UnAV JSON."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import func, insert, select

from loco.evaluate import REJECTED_KEY
from loco.io import atomic_write
from storage.errors import NotFoundError, ValidationError
from storage.events import TRAINING_STATES, _current_query
from storage.exchange import ExchangeOps
from storage.models import (
    SUBSETS, Author, ClassLabel, Event, EventRevision, Snapshot, SnapshotItem, SnapshotRejection, SnapshotVideo,
    Video,
)
from storage.videos import check_subset
from storage.views import SnapshotInfo

ANNOTATIONS_FILE = "annotations.json"
MANIFEST_FILE = "manifest.json"
FEATURE_DIR = "features"


def _content(database: dict, rejected: dict) -> dict:
    """The snapshot as its annotation file holds it: the rejections only where there are some, so a snapshot
    without any keeps the content (and hash) it had before they were frozen."""
    return {"database": database, **({REJECTED_KEY: rejected} if rejected else {})}


def _canonical(content: dict) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


class SnapshotOps(ExchangeOps):
    def create_snapshot(self, name: str, video_ids: Iterable[str], splits: Mapping[str, str] | None = None,
                        author: str | None = None) -> SnapshotInfo:
        """Freeze the chosen videos' accepted/edited/added events and their rejected ones. A video's subset comes from
        ``splits``, else the subset it was imported with, else ``train``."""
        video_ids = list(dict.fromkeys(video_ids))
        if not name or len(name) > 200:
            raise ValidationError("a snapshot name must be 1 to 200 characters")
        if not video_ids:
            raise ValidationError("a snapshot needs at least one video")
        splits = dict(splits or {})
        for subset in splits.values():
            check_subset(subset)
        author_id = self._author_id(author)
        with self._write() as session:
            if session.scalar(select(Snapshot.id).where(Snapshot.name == name)) is not None:
                raise ValidationError(f"a snapshot named {name!r} exists; snapshots are immutable, pick a new name")
            videos = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(video_ids)))}
            missing = [v for v in video_ids if v not in videos]
            if missing:
                raise NotFoundError(f"no video(s) {missing[:5]}")
            query = (_current_query().add_columns(EventRevision.id)
                     .where(Event.video_id.in_(video_ids), EventRevision.state.in_(TRAINING_STATES))
                     .order_by(Event.video_id, EventRevision.start_s, Event.id))
            rows = session.execute(query).all()
            rejected = session.execute(
                _current_query().add_columns(EventRevision.id)
                .where(Event.video_id.in_(video_ids), EventRevision.state == "rejected")
                .order_by(Event.video_id, EventRevision.start_s, Event.id)).all()
            classes = [n for (n,) in session.execute(select(ClassLabel.name).order_by(ClassLabel.label_id))]
            snapshot = Snapshot(name=name, created_by=author_id, n_videos=len(video_ids), n_events=len(rows),
                                classes=classes, class_histogram=dict(Counter(row[5] for row in rows)),
                                annotations_sha256="")
            session.add(snapshot)
            session.flush()
            session.execute(insert(SnapshotVideo), [{
                "snapshot_id": snapshot.id, "video_id": v, "subset": splits.get(v) or videos[v].subset or "train",
                "duration_s": videos[v].duration_s} for v in video_ids])
            if rows:
                session.execute(insert(SnapshotItem), [{
                    "snapshot_id": snapshot.id, "event_id": r[0], "revision_id": r[-1], "video_id": r[1],
                    "start_s": r[3], "end_s": r[4], "label": r[5], "label_id": r[6]} for r in rows])
            if rejected:
                session.execute(insert(SnapshotRejection), [{
                    "snapshot_id": snapshot.id, "event_id": r[0], "revision_id": r[-1], "video_id": r[1],
                    "start_s": r[3], "end_s": r[4], "label": r[5], "label_id": r[6], "score": r[7]} for r in rejected])
            session.flush()
            snapshot.annotations_sha256 = hashlib.sha256(_canonical(self._content(session, snapshot.id))).hexdigest()
            snapshot_id = snapshot.id
        return self.snapshot(snapshot_id)

    def snapshot(self, snapshot_id: int) -> SnapshotInfo:
        with self._read() as session:
            row = session.execute(select(Snapshot, Author.name).join(Author, Author.id == Snapshot.created_by)
                                  .where(Snapshot.id == snapshot_id)).one_or_none()
            subsets = dict(session.execute(
                select(SnapshotVideo.subset, func.count()).where(SnapshotVideo.snapshot_id == snapshot_id)
                .group_by(SnapshotVideo.subset)).all())
            n_rejected = session.scalar(select(func.count()).select_from(SnapshotRejection)
                                        .where(SnapshotRejection.snapshot_id == snapshot_id))
        if row is None:
            raise NotFoundError(f"no snapshot {snapshot_id}")
        s, author = row
        return SnapshotInfo(s.id, s.name, author, s.created_at, s.n_videos, s.n_events, list(s.classes),
                            dict(s.class_histogram), s.annotations_sha256,
                            {subset: subsets[subset] for subset in SUBSETS if subset in subsets}, n_rejected)

    def list_snapshots(self) -> list[SnapshotInfo]:
        with self._read() as session:
            ids = list(session.scalars(select(Snapshot.id).order_by(Snapshot.id)))
        return [self.snapshot(i) for i in ids]

    def snapshot_annotations(self, snapshot_id: int) -> dict:
        """The snapshot as a UnAV-format ``{"database": ...}`` dict, exactly as frozen, with its rejected proposals
        per video under ``REJECTED_KEY`` when it has any."""
        with self._read() as session:
            if session.get(Snapshot, snapshot_id) is None:
                raise NotFoundError(f"no snapshot {snapshot_id}")
            return self._content(session, snapshot_id)

    @classmethod
    def _content(cls, session, snapshot_id: int) -> dict:
        rejected: dict[str, list[dict]] = {}
        for item in session.scalars(select(SnapshotRejection).where(SnapshotRejection.snapshot_id == snapshot_id)
                                    .order_by(SnapshotRejection.id)):
            rejected.setdefault(item.video_id, []).append(
                {"segment": [item.start_s, item.end_s], "label": item.label, "label_id": item.label_id,
                 "score": item.score})
        return _content(cls._database(session, snapshot_id), rejected)

    @staticmethod
    def _database(session, snapshot_id: int) -> dict:
        database = {
            v.video_id: {"subset": v.subset, "duration": v.duration_s, "annotations": []}
            for v in session.scalars(select(SnapshotVideo).where(SnapshotVideo.snapshot_id == snapshot_id)
                                     .order_by(SnapshotVideo.video_id))
        }
        for item in session.scalars(select(SnapshotItem).where(SnapshotItem.snapshot_id == snapshot_id)
                                    .order_by(SnapshotItem.id)):
            database[item.video_id]["annotations"].append(
                {"segment": [item.start_s, item.end_s], "label": item.label, "label_id": item.label_id})
        return database

    def export_snapshot(self, snapshot_id: int, out_dir: str | Path, profile: str | None = None) -> Path:
        """Write ``annotations.json`` (UnAV format, with the rejected proposals beside ``database``),
        ``features/<video_id>.npz`` links to the recorded feature files, and ``manifest.json`` (hashes, classes,
        counts, which videos lack features). Returns ``out_dir``."""
        info = self.snapshot(snapshot_id)
        annotations = _canonical(self.snapshot_annotations(snapshot_id))
        out_dir = Path(out_dir)
        feature_dir = out_dir / FEATURE_DIR
        feature_dir.mkdir(parents=True, exist_ok=True)
        database = json.loads(annotations)["database"]
        sources = self.feature_paths(database, profile)
        missing = []
        for video_id in database:
            link = feature_dir / f"{video_id}.npz"  # ids are restricted to safe file-name characters
            source = sources.get(video_id)
            if source is None or not Path(source).is_file():
                missing.append(video_id)
                continue
            temporary = feature_dir / f".{video_id}.npz.link"
            temporary.unlink(missing_ok=True)
            os.symlink(Path(source).resolve(), temporary)
            os.replace(temporary, link)
        with atomic_write(out_dir / ANNOTATIONS_FILE) as handle:
            handle.write(annotations)
        manifest = {
            "snapshot_id": info.snapshot_id, "name": info.name, "created_by": info.created_by,
            "created_at": info.created_at.isoformat(), "annotations": ANNOTATIONS_FILE,
            "annotations_sha256": info.annotations_sha256, "feature_dir": FEATURE_DIR, "classes": info.classes,
            "n_videos": info.n_videos, "n_events": info.n_events, "n_rejected": info.n_rejected,
            "missing_features": missing,
        }
        with atomic_write(out_dir / MANIFEST_FILE, "w") as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=1)
        return out_dir
