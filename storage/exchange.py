"""Import and export of annotation files through ``storage.formats``: whole-store formats (UnAV JSON, predictions
JSON, CSV) and per-video ones (Audacity, WebVTT, ELAN, Praat). Exports return str/bytes or are written atomically."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select

from loco.io import atomic_write
from loco.progress import Progress
from storage.errors import ValidationError
from storage.events import TRAINING_STATES
from storage.formats import EXPORT_FORMATS, IMPORT_FORMATS
from storage.formats.audacity import dump_audacity, load_audacity
from storage.formats.elan import dump_eaf, load_eaf
from storage.formats.subtitles import dump_webvtt
from storage.formats.table import dump_csv, load_csv
from storage.formats.textgrid import dump_textgrid
from storage.formats.unav import dump_ground_truth, dump_predictions, load_ground_truth, load_predictions
from storage.models import InferenceRun, Video
from storage.runs import RunOps

PREDICTION_STATES = ("proposed", "accepted", "edited", "added")


def _text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(f"the file is not UTF-8 text: {error}") from None
    return data


class ExchangeOps(RunOps):
    def export_annotations(self, fmt: str, video_id: str | Sequence[str] | None = None,
                           states: Iterable[str] | None = None) -> str | bytes:
        """Current events in ``fmt`` (see ``storage.formats.EXPORT_FORMATS``). ``states`` defaults to the corrected
        set (accepted, edited, added); for ``predictions_json`` it also includes proposed events."""
        spec = EXPORT_FORMATS.get(fmt)
        if spec is None:
            raise ValidationError(f"unknown export format {fmt!r}; known: {sorted(EXPORT_FORMATS)}")
        if spec.per_video and not isinstance(video_id, str):
            raise ValidationError(f"{fmt} describes one video: pass a single video id")
        states = tuple(states or (PREDICTION_STATES if fmt == "predictions_json" else TRAINING_STATES))
        events = self.current_events(video_id, states=states)
        if fmt in ("unav_json", "csv_frames") or spec.per_video:
            ids = [video_id] if isinstance(video_id, str) else video_id
            with self._read() as session:
                query = select(Video.id, Video.duration_s, Video.subset, Video.fps, Video.original_name)
                if ids is not None:
                    query = query.where(Video.id.in_(list(ids)))
                videos = {row.id: row for row in session.execute(query)}
            if isinstance(video_id, str) and video_id not in videos:
                raise ValidationError(f"no video {video_id!r}")
        if fmt == "unav_json":
            return dump_ground_truth(events, {v: {"duration": r.duration_s, "subset": r.subset}
                                              for v, r in videos.items()})
        if fmt == "predictions_json":
            return dump_predictions(events)
        if fmt == "csv":
            return dump_csv(events)
        if fmt == "csv_frames":
            return dump_csv(events, {v: r.fps or self.grid.fps for v, r in videos.items()})
        if fmt == "audacity":
            return dump_audacity(events)
        if fmt == "webvtt":
            return dump_webvtt(events)
        if fmt == "eaf":
            return dump_eaf(events, videos[video_id].original_name)
        return dump_textgrid(events, videos[video_id].duration_s)

    def export_file(self, fmt: str, path: str | Path, video_id: str | Sequence[str] | None = None,
                    states: Iterable[str] | None = None) -> Path:
        """``export_annotations`` written atomically to ``path`` (a reader never sees half a file)."""
        data = self.export_annotations(fmt, video_id, states)
        with atomic_write(path, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return Path(path)

    def import_annotations(self, fmt: str, data: str | bytes, video_id: str | None = None,
                           author: str | None = None, progress: Progress | None = None) -> int:
        """Import a file's events in one transaction (all or nothing); returns how many. Ground truth becomes
        ``accepted`` events of origin ``import`` (UnAV JSON also creates its videos); predictions become a
        ``proposed`` inference run per video. Per-video formats (audacity, eaf) need ``video_id``."""
        if fmt not in IMPORT_FORMATS:
            raise ValidationError(f"cannot import {fmt!r}; importable: {list(IMPORT_FORMATS)}")
        if fmt in ("audacity", "eaf") and not video_id:
            raise ValidationError(f"{fmt} files describe one video: pass video_id")
        names = self.class_names()
        if fmt == "unav_json":
            videos, events = load_ground_truth(_text(data), names)
            return self.import_events(events, videos, author, progress)
        if fmt == "predictions_json":
            return self._import_predictions(load_predictions(_text(data), names), author, progress)
        if fmt in ("csv", "csv_frames"):
            events = load_csv(_text(data))
        elif fmt == "audacity":
            events = load_audacity(_text(data), video_id)
        else:
            events = load_eaf(data if isinstance(data, bytes) else data.encode("utf-8"), video_id)
        return self.import_events(events, None, author, progress)

    def import_file(self, fmt: str, path: str | Path, video_id: str | None = None, author: str | None = None,
                    progress: Progress | None = None) -> int:
        return self.import_annotations(fmt, Path(path).read_bytes(), video_id, author, progress)

    def _import_predictions(self, events, author: str | None, progress: Progress | None) -> int:
        author_id = self._author_id(author)
        with self._write() as session:
            by_video: dict[str, list] = {}
            for event in events:
                by_video.setdefault(event.video_id, []).append(event)
            for video_id, video_events in by_video.items():
                self._duration(session, video_id)
                run = InferenceRun(video_id=video_id, params={"imported": True}, status="done", created_by=author_id)
                session.add(run)
                session.flush()
                self._insert_events(session, video_events, origin="model", state="proposed", action="predict",
                                    author_id=author_id, run_id=run.id, progress=progress)
        return len(events)
