"""Models, which one is active, and inference runs (with the events a run predicted).

The database is the only index: a run is found by video, model checkpoint, feature profile and label-prior weight,
its features through the video's feature set of that profile, and the active model is the newest row of the
append-only ``model_activation`` table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from storage.errors import NotFoundError, ValidationError
from storage.events import NewEvent
from storage.models import Event, FeatureSet, InferenceRun, Model, ModelActivation, Video, utc_now
from storage.videos import VideoOps
from storage.views import ModelView, RunView


def _model_view(model: Model) -> ModelView:
    return ModelView(model.id, model.version, model.checkpoint_path, model.checkpoint_sha256, model.train_snapshot_id,
                     dict(model.metrics or {}), model.created_at)


def _runs_query() -> Select:
    """Runs joined with what a page needs to show them; the features are the video's feature set of the run's
    profile (one per video and profile)."""
    events = (select(Event.origin_run_id, func.count().label("n")).where(Event.origin_run_id.is_not(None))
              .group_by(Event.origin_run_id).subquery())
    return (
        select(InferenceRun, Model.version, Model.checkpoint_path, Model.checkpoint_sha256, FeatureSet.path,
               Video.stored_path, Video.container, Video.duration_s, Video.fps, func.coalesce(events.c.n, 0))
        .join(Video, Video.id == InferenceRun.video_id)
        .outerjoin(Model, Model.id == InferenceRun.model_id)
        .outerjoin(FeatureSet, (FeatureSet.video_id == InferenceRun.video_id)
                   & (FeatureSet.profile == InferenceRun.profile))
        .outerjoin(events, events.c.origin_run_id == InferenceRun.id)
        .where(InferenceRun.status == "done")
        .order_by(InferenceRun.finished_at.desc(), InferenceRun.id.desc())
    )


def _run_view(row) -> RunView:
    run, version, checkpoint, checkpoint_sha, features, media, container, duration, fps, n_events = row
    return RunView(run.id, run.video_id, version, checkpoint, checkpoint_sha, run.profile, run.label_prior,
                   run.internals_path, features, media, container, duration, fps, n_events, run.finished_at)


class RunOps(VideoOps):
    # ----------------------------------------------------------------------------------------------- models
    def record_model(self, version: str, checkpoint_path: str | None = None, checkpoint_sha256: str | None = None,
                     config: dict | None = None, train_snapshot_id: int | None = None,
                     metrics: dict | None = None) -> int:
        if not version or len(version) > 200:
            raise ValidationError("a model version must be 1 to 200 characters")
        with self._write() as session:
            if session.scalar(select(Model.id).where(Model.version == version)) is not None:
                raise ValidationError(f"model version {version!r} is already recorded")
            model = Model(version=version, checkpoint_path=checkpoint_path, checkpoint_sha256=checkpoint_sha256,
                          config=config or {}, train_snapshot_id=train_snapshot_id, metrics=metrics or {})
            session.add(model)
            session.flush()
            return model.id

    def models(self) -> list[ModelView]:
        """Every recorded model, oldest first."""
        with self._read() as session:
            return [_model_view(m) for m in session.scalars(select(Model).order_by(Model.id))]

    def model(self, version: str) -> ModelView:
        with self._read() as session:
            model = session.scalar(select(Model).where(Model.version == version))
            if model is None:
                raise NotFoundError(f"no model version {version!r}")
            return _model_view(model)

    def activate_model(self, version: str, author: str | None = None) -> ModelView:
        """Make a recorded model the active one (appends an activation; earlier ones stay as history)."""
        author_id = self._author_id(author)
        with self._write() as session:
            model = session.scalar(select(Model).where(Model.version == version))
            if model is None:
                raise NotFoundError(f"no model version {version!r}; record it first")
            session.add(ModelActivation(model_id=model.id, author_id=author_id))
            return _model_view(model)

    def active_model(self) -> ModelView | None:
        """The most recently activated model, if any was ever activated."""
        with self._read() as session:
            model = session.scalar(select(Model).join(ModelActivation, ModelActivation.model_id == Model.id)
                                   .order_by(ModelActivation.id.desc()).limit(1))
            return None if model is None else _model_view(model)

    # ----------------------------------------------------------------------------------------------- runs
    def record_inference_run(self, video_id: str, events: Iterable[Any], model_version: str | None = None,
                             params: dict | None = None, internals_path: str | None = None,
                             profile: str | None = None, label_prior: float = 0.0,
                             started_at: datetime | None = None, finished_at: datetime | None = None,
                             author: str | None = None) -> int:
        """Store a finished run and its predictions as ``proposed`` events, in one transaction. ``events`` are
        objects or dicts with label, start, end (seconds) and score, e.g. ``loco.infer.PredictedEvent``."""
        def field(item: Any, name: str) -> Any:
            return item[name] if isinstance(item, dict) else getattr(item, name)

        new_events = [NewEvent(video_id, field(e, "start"), field(e, "end"), field(e, "label"), field(e, "score"))
                      for e in events]
        author_id = self._author_id(author)
        with self._write() as session:
            self._duration(session, video_id)
            model_id = None
            if model_version is not None:
                model_id = session.scalar(select(Model.id).where(Model.version == model_version))
                if model_id is None:
                    raise NotFoundError(f"no model version {model_version!r}; record_model first")
            run = InferenceRun(video_id=video_id, model_id=model_id, params=params or {}, status="done",
                               profile=profile, label_prior=float(label_prior), started_at=started_at,
                               finished_at=finished_at or utc_now(), internals_path=internals_path,
                               created_by=author_id)
            session.add(run)
            session.flush()
            self._insert_events(session, new_events, origin="model", state="proposed", action="predict",
                                author_id=author_id, run_id=run.id)
            return run.id

    def runs(self, video_id: str | None = None, checkpoint_sha256: str | None = None, profile: str | None = None,
             label_prior: float | None = None) -> list[RunView]:
        """Finished runs, newest first, optionally only those of a video / model checkpoint / profile / weight."""
        query = _runs_query()
        if video_id is not None:
            query = query.where(InferenceRun.video_id == video_id)
        if checkpoint_sha256 is not None:
            query = query.where(Model.checkpoint_sha256 == checkpoint_sha256)
        if profile is not None:
            query = query.where(InferenceRun.profile == profile)
        if label_prior is not None:
            query = query.where(InferenceRun.label_prior == float(label_prior))
        with self._read() as session:
            return [_run_view(row) for row in session.execute(query)]

    def latest_run(self, video_id: str) -> RunView | None:
        """The newest finished run of a video with any model (what the inspection pages show)."""
        runs = self.runs(video_id)
        return runs[0] if runs else None
