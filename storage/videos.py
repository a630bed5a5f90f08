"""Videos, their review status and feature sets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from loco import ids
from loco.grid import FeatureGrid
from loco.progress import Progress
from storage.errors import NotFoundError, ValidationError
from storage.events import EventOps, NewEvent
from storage.models import (
    REVIEW_STATUSES, SUBSETS, Event, EventRevision, FeatureSet, Review, Video, utc_now,
)
from storage.views import VideoSummary, VideoView

VIDEO_FIELDS = ("sha256", "original_name", "fps", "n_frames", "width", "height", "audio_rate", "audio_channels",
                "size_bytes", "stored_path", "subset", "container")


def check_video_id(video_id: str) -> str:
    """Video ids name feature files (``<id>.npz``): the datasets' rule (:func:`loco.ids.check_video_id`), as the
    store's :class:`ValidationError`."""
    try:
        return ids.check_video_id(video_id)
    except ids.VideoIdError as error:
        raise ValidationError(str(error)) from None


def check_subset(subset: str | None) -> str | None:
    if subset is not None and subset not in SUBSETS:
        raise ValidationError(f"subset must be one of {list(SUBSETS)}, got {subset!r}")
    return subset


class VideoOps(EventOps):
    def record_video(self, video_id: str, duration: float, author: str | None = None, **fields: Any) -> str:
        """Create or update a video (``video_id``: its sha256 for uploads, the YouTube id for UnAV-100).
        Optional fields: sha256, original_name, fps, n_frames, width, height, audio_rate, audio_channels,
        size_bytes, stored_path, subset, container."""
        check_video_id(video_id)
        unknown = set(fields) - set(VIDEO_FIELDS)
        if unknown:
            raise ValidationError(f"unknown video field(s) {sorted(unknown)}; known: {list(VIDEO_FIELDS)}")
        check_subset(fields.get("subset"))
        try:
            duration = float(duration)
        except (TypeError, ValueError):
            raise ValidationError(f"duration must be a number of seconds, got {duration!r}") from None
        if not duration > 0 or duration == float("inf"):
            raise ValidationError(f"a video needs a positive, finite duration, got {duration!r}")
        author_id = self._author_id(author)
        with self._write() as session:
            video = session.get(Video, video_id)
            if video is None:
                session.add(Video(id=video_id, duration_s=duration, created_by=author_id, **fields))
            else:
                longest = session.scalar(
                    select(func.max(EventRevision.end_s))
                    .join(Event, (EventRevision.event_id == Event.id) & (EventRevision.rev_no == Event.head_rev_no))
                    .where(Event.video_id == video_id, EventRevision.state != "deleted")
                )
                if longest is not None and longest > duration:
                    raise ValidationError(f"video {video_id} has events up to {longest:g} s; duration {duration:g} "
                                          f"would cut them")
                video.duration_s = duration
                for key, value in fields.items():
                    setattr(video, key, value)
        return video_id

    def video(self, video_id: str) -> VideoView:
        with self._read() as session:
            video = session.get(Video, video_id)
            if video is None:
                raise NotFoundError(f"no video {video_id!r}")
            return VideoView(video.id, video.duration_s, **{k: getattr(video, k) for k in VIDEO_FIELDS})

    def list_videos(self) -> list[VideoSummary]:
        """Every video with its review status and the number of current events per state (deleted not counted)."""
        counts = (
            select(Event.video_id, EventRevision.state, func.count())
            .join(EventRevision, (EventRevision.event_id == Event.id) & (EventRevision.rev_no == Event.head_rev_no))
            .group_by(Event.video_id, EventRevision.state)
        )
        with self._read() as session:
            per_video: dict[str, dict[str, int]] = {}
            for video_id, state, count in session.execute(counts):
                per_video.setdefault(video_id, {})[state] = count
            rows = session.execute(
                select(Video.id, Video.original_name, Video.duration_s, Video.subset, Review.status)
                .outerjoin(Review, Review.video_id == Video.id).order_by(Video.created_at, Video.id)
            )
            summaries = []
            for video_id, name, duration, subset, status in rows:
                states = {k: v for k, v in per_video.get(video_id, {}).items() if k != "deleted"}
                summaries.append(VideoSummary(video_id, name, duration, subset, status or "todo",
                                              sum(states.values()), states))
            return summaries

    def videos_df(self) -> pd.DataFrame:
        columns = ["video_id", "original_name", "duration", "subset", "review_status", "n_events"]
        return pd.DataFrame([{c: getattr(v, c) for c in columns} for v in self.list_videos()], columns=columns)

    def set_review(self, video_id: str, status: str, author: str | None = None) -> None:
        if status not in REVIEW_STATUSES:
            raise ValidationError(f"review status must be one of {list(REVIEW_STATUSES)}, got {status!r}")
        author_id = self._author_id(author)
        with self._write() as session:
            self._duration(session, video_id)
            review = session.get(Review, video_id)
            if review is None:
                session.add(Review(video_id=video_id, status=status, reviewer_id=author_id))
            else:
                review.status, review.reviewer_id, review.updated_at = status, author_id, utc_now()

    def record_feature_set(self, video_id: str, profile: str, grid: FeatureGrid, path: str,
                           encoders: dict | None = None) -> int:
        """Remember where a video's features of a profile are cached (replaces an earlier entry)."""
        with self._write() as session:
            self._duration(session, video_id)
            row = session.scalar(select(FeatureSet).where(FeatureSet.video_id == video_id,
                                                          FeatureSet.profile == profile))
            if row is None:
                row = FeatureSet(video_id=video_id, profile=profile)
                session.add(row)
            row.grid, row.path, row.encoders = grid.to_dict(), str(path), dict(encoders or {})
            session.flush()
            return row.id

    def feature_paths(self, video_ids: Iterable[str], profile: str | None = None) -> dict[str, str]:
        """The cached feature file of each video (of ``profile``, or the latest recorded one)."""
        query = select(FeatureSet.video_id, FeatureSet.path).where(FeatureSet.video_id.in_(list(video_ids)))
        if profile is not None:
            query = query.where(FeatureSet.profile == profile)
        with self._read() as session:
            return dict(session.execute(query.order_by(FeatureSet.id)).all())

    def import_events(self, events: Iterable[NewEvent], videos: dict[str, dict] | None = None,
                      author: str | None = None, progress: Progress | None = None) -> int:
        """Import annotations (state ``accepted``, origin ``import``) in one transaction: all or nothing.
        ``videos`` maps new video ids to {"duration", "subset"}; existing videos are kept as they are."""
        events = list(events)
        author_id = self._author_id(author)
        with self._write() as session:
            durations = dict(session.execute(select(Video.id, Video.duration_s)).all())
            new_videos = []
            for video_id, meta in (videos or {}).items():
                if video_id not in durations:
                    check_video_id(video_id)
                    duration = float(meta["duration"])
                    if not duration > 0:
                        raise ValidationError(f"video {video_id}: a positive duration is needed, got {duration}")
                    new_videos.append({"id": video_id, "duration_s": duration,
                                       "subset": check_subset(meta.get("subset")), "created_by": author_id,
                                       "created_at": utc_now()})
                    durations[video_id] = duration
            if new_videos:
                session.execute(Video.__table__.insert(), new_videos)
            self._insert_events(session, events, origin="import", state="accepted", action="import",
                                author_id=author_id, progress=progress, durations=durations)
        return len(events)
