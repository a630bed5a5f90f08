"""Detection runs: the pipeline for one video (probe -> features -> model with internals -> one store transaction)
and the reads the inspection pages make of a run.

Results are keyed by content: a video by its sha256, a model by its checkpoint's sha256 (and, for an
open-vocabulary model, the classes it scores with their labels: :func:`vocabulary_key`), so reopening a processed
video with the same model, profile and label-prior weight is a database query and a file read. The database is the
only index of runs (``storage.RunView``); the internals file sits in ``<data>/runs/<video sha>/``, the audio overview
the pages draw under the timeline in ``<data>/runs/audio/`` (one per media file, computed once as a stream).
Detection scores the store's taxonomy (:func:`studio.taxonomy.scoring_model`) and passes the face stream on where
the features have it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from loco.checkpoint import LoadedModel
from loco.features.cache import FeatureCache
from loco.features.extract import extract_features
from loco.features.profiles import get_profile
from loco.features.store import read_features
from loco.infer import predict_features
from loco.label_space import labels_for, load_label_space
from loco.media import probe
from loco.paths import sub_dir
from loco.progress import Progress, silent
from storage import RunView, Store
from storage.formats.unav import load_ground_truth
from studio.internals import is_current, save_internals
from studio.models import checkpoint_sha256, ensure_model_recorded
from studio.segments import filter_by_score
from studio.taxonomy import scoring_model
from studio.uploads import EXAMPLE_GROUND_TRUTH, SpooledVideo, is_example
from studio.viz.audio import AudioRows, load_audio_rows, save_audio_rows
from studio.viz.media import audio_rows_of
from studio.viz.timeline import TimelineEvent


def _internals_path(video_sha: str, model_sha: str, profile: str, label_prior: float, vocabulary: str = "") -> Path:
    prior = f"-prior{label_prior:g}" if label_prior else ""
    classes = f"-k{vocabulary}" if vocabulary else ""
    return sub_dir("runs") / video_sha / f"{model_sha[:12]}-{profile}{prior}{classes}.npz"


def vocabulary_key(loaded: LoadedModel) -> str:
    """What an open-vocabulary model's results depend on besides its checkpoint: the classes it scores and their
    labels, as a short digest ("" for a closed-set model, which names its own classes whatever the label space)."""
    if not loaded.open_vocabulary:
        return ""
    label_space = loaded.label_space if loaded.label_space is not None else load_label_space()
    text = json.dumps([repr(labels) for labels in labels_for(loaded.class_names, label_space)])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def audio_overview_path(media_path: Path) -> Path:
    """Where a media file's audio overview is kept: named by the file's path, size and modification time."""
    stat = media_path.stat()
    key = hashlib.sha256(f"{media_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    return sub_dir("runs") / "audio" / f"{key}.npz"


def audio_overview(media_path: Path, progress: Callable[[float], None] | None = None) -> AudioRows:
    """The audio rows the timeline draws, computed once per media file in bounded memory and then read back."""
    path = audio_overview_path(Path(media_path))
    if path.is_file():
        return load_audio_rows(path)
    rows = audio_rows_of(Path(media_path), progress)
    save_audio_rows(path, rows)
    return rows


def cached_run(store: Store, video_sha: str, checkpoint: Path, profile: str, label_prior: float = 0.0,
               vocabulary: str = "") -> RunView | None:
    """The newest run of this video with this model, profile, label-prior weight and :func:`vocabulary_key` whose
    internals still exist."""
    expected = _internals_path(video_sha, checkpoint_sha256(checkpoint), profile, label_prior, vocabulary).name
    for run in store.runs(video_sha, checkpoint_sha256(checkpoint), profile, label_prior):
        if run.internals_path and Path(run.internals_path).name == expected and Path(run.internals_path).is_file():
            return run
    return None


def detect(store: Store, video: SpooledVideo, checkpoint: Path, loaded: LoadedModel, profile: str | None = None,
           original_name: str | None = None, progress: Progress = silent, force: bool = False) -> RunView:
    """The whole pipeline for one video: probe (typed media errors before anything is written), features (cached
    by content), the model with internals, then the store. A video already processed with this model, profile and
    label-prior weight returns its cached run at once unless ``force``. An open-vocabulary model scores the store's
    whole taxonomy."""
    profile = profile or loaded.profile
    get_profile(profile)
    loaded = scoring_model(store, loaded)
    label_prior, vocabulary = loaded.config.postprocess.label_prior_weight, vocabulary_key(loaded)
    if not force:
        cached = cached_run(store, video.sha256, checkpoint, profile, label_prior, vocabulary)
        if cached is not None:
            if not is_current(Path(cached.internals_path)):
                progress(0.5, "model: re-computing the internals, saved by an older version")
                recompute_internals(cached, loaded)
            progress(1.0, "already processed: loaded from the cache")
            return cached
    progress(0.0, "decode: probing the video")
    info = probe(video.path)
    loaded.check_features(loaded.config.model.visual_dim, loaded.config.model.audio_dim, profile)
    started = datetime.now(timezone.utc)
    features = extract_features(video.path, profile, lambda f, m: progress(0.02 + 0.83 * f, f"features: {m}"))
    progress(0.86, "model: detecting events")
    prediction = predict_features(loaded, features.visual, features.audio, info.duration, with_internals=True,
                                  cues=features.extras)
    progress(0.90, "audio: the sound track's overview for the timeline")
    audio_overview(video.path, lambda f: progress(0.90 + 0.05 * f, "audio: the sound track's overview"))
    progress(0.95, "saving the run")  # the last point where a cancel can stop it: nothing is stored before
    version = ensure_model_recorded(store, checkpoint)
    store.record_video(video.sha256, info.duration, sha256=video.sha256, original_name=original_name,
                       fps=info.fps, n_frames=info.frames, width=info.width, height=info.height,
                       audio_rate=info.audio_rate, audio_channels=info.audio_channels, size_bytes=video.size,
                       stored_path=str(video.path), container=info.container)
    if is_example(video):
        import_example_ground_truth(store, video.sha256)
    feature_path = FeatureCache().path_for(video.sha256, features.profile, features.encoders)
    store.record_feature_set(video.sha256, features.profile, features.grid, str(feature_path), features.encoders)
    internals_path = save_internals(
        _internals_path(video.sha256, checkpoint_sha256(checkpoint), profile, label_prior, vocabulary),
        prediction.internals, loaded.grid)
    run_id = store.record_inference_run(
        video.sha256, prediction.events, model_version=version,
        params={"postprocess": asdict(loaded.config.postprocess)}, internals_path=str(internals_path),
        profile=profile, label_prior=label_prior, started_at=started,
    )
    return next(run for run in store.runs(video.sha256) if run.run_id == run_id)


def import_example_ground_truth(store: Store, video_id: str) -> int:
    """The example's shipped ground truth as imported events of its video (once), so the timeline shows the
    ground-truth layer next to the predictions. The file is read by the UnAV-100 format's own reader."""
    if not EXAMPLE_GROUND_TRUTH.is_file() or any(e.origin == "import" for e in store.current_events(video_id)):
        return 0
    _, events = load_ground_truth(EXAMPLE_GROUND_TRUTH.read_text(encoding="utf-8"))
    known = set(store.class_names())
    for label in dict.fromkeys(e.label for e in events):
        if label not in known:
            store.add_class(label)
    return store.import_events([replace(e, video_id=video_id) for e in events])


def layer_of(state: str, origin: str) -> str:
    """Which timeline layer an event belongs to: human-reviewed events are "corrected", untouched imports are
    "ground truth", untouched model output is "prediction"."""
    if state == "rejected":
        return "rejected"
    if state in ("edited", "added") or (state == "accepted" and origin != "import"):
        return "corrected"
    return "ground truth" if origin == "import" else "prediction"


def timeline_events(events) -> list[TimelineEvent]:
    """Store events (``EventView``) as timeline bars."""
    return [TimelineEvent(e.event_id, e.label, e.start, e.end, e.score, layer_of(e.state, e.origin), e.state)
            for e in events]


@dataclass(frozen=True)
class DetectionSummary:
    """What a detection found, as the Timeline will show it: its proposals passing the score threshold and top-k,
    by class. ``candidates`` is everything it proposed (the decoder's own top-k cap, not a finding)."""

    found: int
    candidates: int
    threshold: float
    by_class: tuple[tuple[str, int], ...]  # most frequent first

    def sentence(self) -> str:
        if not self.found:
            return (f"No event scores {self.threshold:.2f} or more ({self.candidates} weaker candidates): lower the "
                    "score threshold on the Timeline to see them.")
        classes = ", ".join(f"{label} ×{count}" for label, count in self.by_class)
        return (f"Found {self.found} event{'s' if self.found > 1 else ''} scoring {self.threshold:.2f} or more: "
                f"{classes} (of {self.candidates} candidates).")


def detection_summary(store: Store, run_id: int, threshold: float, top_k: int | None = None) -> DetectionSummary:
    """The run's current proposals (as edited since) that pass ``threshold`` and ``top_k``, counted by class."""
    events = store.current_events(run_id=run_id)
    found = filter_by_score(events, threshold, top_k)
    by_class = Counter(e.label for e in found)
    return DetectionSummary(len(found), len(events), float(threshold),
                            tuple(sorted(by_class.items(), key=lambda item: (-item[1], item[0]))))


def recompute_internals(run: RunView, loaded: LoadedModel) -> Path:
    """A run's internals file written again from its cached features by its model (the same numbers, in the current
    format: for a file saved by an older version). Its events stay as they are."""
    visual, audio, cues = run_features(run)
    prediction = predict_features(loaded, visual, audio, run.duration, with_internals=True, cues=cues)
    return save_internals(Path(run.internals_path), prediction.internals, loaded.grid)


def run_voice_pitch(run: RunView) -> np.ndarray | None:
    """The run's voice-pitch stream [T, 2] (loco.features.pitch); None when its features predate the stream or are
    gone."""
    if not run.feature_path or not Path(run.feature_path).is_file():
        return None
    return run_features(run)[2].get("voice_pitch")


def run_features(run: RunView) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The cached visual and audio features the run was computed from, and the extra streams they have."""
    stored = read_features(run.feature_path)
    return (stored.visual.astype(np.float32), stored.audio.astype(np.float32),
            {name: cue.astype(np.float32) for name, cue in stored.extras.items()})
