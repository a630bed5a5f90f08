"""The application services behind the pages: upload spooling, model choice, the detection pipeline (decode ->
features -> model -> store), per-video caches, internals files, modality probes, comparisons and evaluation.

Pages only call these and render; everything here works without Streamlit (the CLI, tests and benchmarks use it too).
Results are keyed by content: a video by its sha256, a model by its checkpoint's sha256, so reopening a processed
video with the same model is a file read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from loco.evaluate import EvaluationResult
from loco.grid import FeatureGrid
from loco.io import atomic_write, sha256_file
from loco.model.internals import VideoInternals
from loco.paths import ASSETS_DIR, data_dir, sub_dir
from loco.viz.timeline import TimelineEvent

Progress = Callable[[float, str], None]

DEFAULT_MODEL = ASSETS_DIR / "models" / "loco_compact.safetensors"
EXAMPLE_VIDEO = ASSETS_DIR / "example" / "example.mp4"
EXAMPLE_GROUND_TRUTH = ASSETS_DIR / "example" / "example_gt.json"
MAX_UPLOAD_ENV = "LOCO_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 200
ACTIVE_MODEL_FILE = "active_model.json"
CHUNK = 1 << 20
CONTAINER_MIME = {"mp4": "video/mp4", "mov": "video/mp4", "webm": "video/webm", "matroska": "video/webm",
                  "ogg": "video/ogg"}


class ServiceError(ValueError):
    """A request the app cannot serve (upload too large, no model available, missing run), said plainly."""


class UploadTooLargeError(ServiceError):
    pass


def max_upload_mb() -> int:
    """The upload limit in MB (``LOCO_MAX_UPLOAD_MB``, default 200: Streamlit's own default cap)."""
    raw = os.environ.get(MAX_UPLOAD_ENV, "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        raise ServiceError(f"{MAX_UPLOAD_ENV} must be a whole number of MB, got {raw!r}") from None


# --------------------------------------------------------------------------------------------------------- uploads
@dataclass(frozen=True)
class SpooledVideo:
    path: Path
    sha256: str
    size: int


def spool_upload(stream: BinaryIO, max_bytes: int | None = None) -> SpooledVideo:
    """Copy an upload to ``<data>/uploads/<sha256>`` in chunks while hashing it: the file is named by its content,
    never by the user's file name, and an identical upload reuses the existing file."""
    limit = max_bytes if max_bytes is not None else max_upload_mb() * 1024 * 1024
    folder = sub_dir("uploads")
    digest, size = hashlib.sha256(), 0
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > limit:
                    raise UploadTooLargeError(f"the upload is larger than the limit of {limit / 2**20:.0f} MB")
                digest.update(block)
                out.write(block)
        if size == 0:
            raise ServiceError("the upload is empty")
        target = folder / digest.hexdigest()
        if target.is_file():
            Path(temporary).unlink()
        else:
            os.replace(temporary, target)
        return SpooledVideo(target, digest.hexdigest(), size)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def example_video() -> SpooledVideo:
    """The shipped example, used in place (its name is ours, not a user's)."""
    if not EXAMPLE_VIDEO.is_file():
        raise ServiceError(f"the example video is not installed ({EXAMPLE_VIDEO.relative_to(ASSETS_DIR.parent)})")
    return SpooledVideo(EXAMPLE_VIDEO, sha256_file(EXAMPLE_VIDEO), EXAMPLE_VIDEO.stat().st_size)


def is_example(video: SpooledVideo) -> bool:
    """Whether a video is the shipped example, by content: the example uploaded by hand gets its ground truth too."""
    return EXAMPLE_VIDEO.is_file() and video.sha256 == sha256_file(EXAMPLE_VIDEO)


def video_mime(container: str | None) -> str:
    """A MIME type for the player from the probed container name (``"mov,mp4,m4a,..."`` style names included)."""
    for part in (container or "").split(","):
        if part in CONTAINER_MIME:
            return CONTAINER_MIME[part]
    return "video/mp4"


# --------------------------------------------------------------------------------------------------------- models
@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    source: str  # "shipped" | "trained" | "registered"


_SHA_CACHE: dict[tuple[str, float], str] = {}


def checkpoint_sha256(path: Path) -> str:
    key = (str(Path(path).resolve()), Path(path).stat().st_mtime)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_file(path)
    return _SHA_CACHE[key]


def model_version(path: Path) -> str:
    """A model's version: its file stem plus the first 12 hex digits of its content hash."""
    return f"{Path(path).stem}-{checkpoint_sha256(path)[:12]}"


def available_models(registered: list[tuple[str, str]] | None = None) -> list[ModelEntry]:
    """The shipped default, checkpoints in ``<data>/models``, and models recorded in the store that still exist."""
    entries: list[ModelEntry] = []
    if DEFAULT_MODEL.is_file():
        entries.append(ModelEntry(f"{DEFAULT_MODEL.stem} (shipped)", DEFAULT_MODEL, "shipped"))
    for path in sorted(sub_dir("models").glob("*.safetensors")):
        entries.append(ModelEntry(path.stem, path, "trained"))
    known = {e.path.resolve() for e in entries}
    for version, path in registered or []:
        if path and Path(path).is_file() and Path(path).resolve() not in known:
            entries.append(ModelEntry(version, Path(path), "registered"))
            known.add(Path(path).resolve())
    return entries


def active_model_path(models: list[ModelEntry]) -> Path | None:
    """The model chosen with :func:`set_active_model` if it still exists, else the first available one."""
    path = data_dir() / ACTIVE_MODEL_FILE
    if path.is_file():
        chosen = Path(json.loads(path.read_text(encoding="utf-8")).get("path", ""))
        if chosen.is_file():
            return chosen
    return models[0].path if models else None


def set_active_model(checkpoint: Path) -> None:
    if not Path(checkpoint).is_file():
        raise ServiceError(f"no checkpoint at {checkpoint}")
    with atomic_write(data_dir() / ACTIVE_MODEL_FILE, "w") as handle:
        json.dump({"path": str(Path(checkpoint).resolve())}, handle)


def ensure_model_recorded(store, checkpoint: Path, loaded, train_snapshot_id: int | None = None) -> str:
    """Record the model in the store once (by version) and make sure its classes are in the taxonomy, so its
    predictions can be stored. Returns the version."""
    from storage import ValidationError

    version = model_version(checkpoint)
    known = set(store.class_names())
    for name in loaded.class_names:
        if name not in known:
            store.add_class(name)
    try:
        store.record_model(version, str(Path(checkpoint).resolve()), checkpoint_sha256(checkpoint),
                           loaded.config.to_dict(), train_snapshot_id, loaded.metrics)
    except ValidationError as error:
        if "already recorded" not in str(error):
            raise
    return version


# --------------------------------------------------------------------------------------------------------- runs
@dataclass
class RunRecord:
    """What a finished detection left behind (``<data>/runs/<video sha>/<model sha12>-<profile>.json``)."""

    video_id: str
    run_id: int
    model_version: str
    model_path: str
    profile: str
    internals_path: str
    feature_path: str
    media_path: str
    mime: str
    duration: float
    fps: float
    num_events: int
    created_at: float


def _run_index(video_sha: str, model_sha: str, profile: str, label_prior: float = 0.0) -> Path:
    prior = f"-prior{label_prior:g}" if label_prior else ""
    return sub_dir("runs") / video_sha / f"{model_sha[:12]}-{profile}{prior}.json"


def cached_run(video_sha: str, checkpoint: Path, profile: str, label_prior: float = 0.0) -> RunRecord | None:
    """The stored run of this video with this model, profile and label-prior weight, if any."""
    path = _run_index(video_sha, checkpoint_sha256(checkpoint), profile, label_prior)
    if not path.is_file():
        return None
    record = RunRecord(**json.loads(path.read_text(encoding="utf-8")))
    return record if Path(record.internals_path).is_file() else None


def latest_run(video_sha: str) -> RunRecord | None:
    """The newest detection of a video with any model (what the inspection pages show)."""
    folder = sub_dir("runs") / video_sha
    records = [RunRecord(**json.loads(p.read_text(encoding="utf-8"))) for p in folder.glob("*.json")]
    return max(records, key=lambda r: r.created_at) if records else None


def save_internals(path: Path, internals: VideoInternals, grid: FeatureGrid) -> Path:
    """Internals as float16 arrays in one ``.npz`` (about 1 MB for a minute of video), written atomically."""
    arrays: dict[str, np.ndarray] = {}
    for name in ("correspondence", "coherence_visual", "coherence_audio", "gate_visual", "gate_audio"):
        value = getattr(internals, name)
        if value is not None:
            arrays[name] = value.astype(np.float16)
    for level, (left, right) in enumerate(zip(internals.cdp_left, internals.cdp_right)):
        arrays[f"cdp_left_{level}"], arrays[f"cdp_right_{level}"] = left.astype(np.float16), right.astype(np.float16)
        for direction, weights in internals.attention[level].items():
            arrays[f"attention_{level}_{direction}"] = weights.astype(np.float16)
    meta = {"levels": len(internals.cdp_left), "lcc_band": internals.lcc_band, "grid": grid.to_dict(),
            "directions": sorted(internals.attention[0]) if internals.attention else []}
    with atomic_write(path) as handle:
        np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_internals(path: Path) -> tuple[VideoInternals, FeatureGrid]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))

        def get(name: str) -> np.ndarray | None:
            return data[name].astype(np.float32) if name in data.files else None

        levels = range(meta["levels"])
        internals = VideoInternals(
            correspondence=get("correspondence"), coherence_visual=get("coherence_visual"),
            coherence_audio=get("coherence_audio"), gate_visual=get("gate_visual"), gate_audio=get("gate_audio"),
            cdp_left=[get(f"cdp_left_{l}") for l in levels], cdp_right=[get(f"cdp_right_{l}") for l in levels],
            attention=[{d: get(f"attention_{l}_{d}") for d in meta["directions"]} for l in levels],
            lcc_band=meta["lcc_band"],
        )
    return internals, FeatureGrid.from_dict(meta["grid"])


def detect(store, video: SpooledVideo, checkpoint: Path, loaded, profile: str | None = None,
           original_name: str | None = None, progress: Progress | None = None, force: bool = False) -> RunRecord:
    """The whole pipeline for one video: probe (typed media errors before anything is written), features (cached
    by content), the model with internals, then one store transaction for the run and its events. A video already
    processed with this model and profile returns its cached run at once unless ``force``."""
    from loco.features.extract import extract_features
    from loco.features.profiles import get_profile
    from loco.infer import predict_features
    from loco.media import probe

    report = progress or (lambda fraction, message: None)
    profile = profile or loaded.profile
    get_profile(profile)
    label_prior = loaded.config.postprocess.label_prior_weight
    if not force:
        cached = cached_run(video.sha256, checkpoint, profile, label_prior)
        if cached is not None:
            report(1.0, "already processed: loaded from the cache")
            return cached
    report(0.0, "decode: probing the video")
    info = probe(video.path)
    loaded.check_features(loaded.config.model.visual_dim, loaded.config.model.audio_dim, profile)
    started = datetime.now(timezone.utc)
    features = extract_features(video.path, profile, lambda f, m: report(0.02 + 0.83 * f, f"features: {m}"))
    report(0.86, "model: detecting events")
    prediction = predict_features(loaded, features.visual, features.audio, info.duration, with_internals=True)
    report(0.95, "saving the run")  # the last point where a cancel can stop it: nothing is stored before
    version = ensure_model_recorded(store, checkpoint, loaded)
    store.record_video(video.sha256, info.duration, sha256=video.sha256, original_name=original_name,
                       fps=info.fps, n_frames=info.frames, width=info.width, height=info.height,
                       audio_rate=info.audio_rate, audio_channels=info.audio_channels, size_bytes=video.size,
                       stored_path=str(video.path))
    if is_example(video):
        import_example_ground_truth(store, video.sha256)
    from loco.features.cache import FeatureCache

    feature_path = FeatureCache().path_for(video.sha256, features.profile, features.encoders)
    store.record_feature_set(video.sha256, features.profile, features.grid, str(feature_path), features.encoders)
    index = _run_index(video.sha256, checkpoint_sha256(checkpoint), profile, label_prior)
    internals_path = save_internals(index.with_suffix(".npz"), prediction.internals, loaded.grid)
    run_id = store.record_inference_run(
        video.sha256, prediction.events, model_version=version,
        params={"profile": profile, "postprocess": asdict(loaded.config.postprocess)},
        internals_path=str(internals_path), started_at=started,
    )
    record = RunRecord(video.sha256, run_id, version, str(Path(checkpoint).resolve()), profile, str(internals_path),
                       str(feature_path), str(video.path), video_mime(info.container), info.duration, info.fps,
                       len(prediction.events), time.time())
    with atomic_write(index, "w") as handle:
        json.dump(asdict(record), handle)
    return record


def import_example_ground_truth(store, video_id: str) -> int:
    """The example's shipped ground truth as imported events of its video (once), so the timeline shows the
    ground-truth layer next to the predictions."""
    from storage import NewEvent

    if not EXAMPLE_GROUND_TRUTH.is_file() or any(e.origin == "import" for e in store.current_events(video_id)):
        return 0
    database = json.loads(EXAMPLE_GROUND_TRUTH.read_text(encoding="utf-8"))["database"]
    entry = next(iter(database.values()))
    known = set(store.class_names())
    events = []
    for annotation in entry["annotations"]:
        if annotation["label"] not in known:
            store.add_class(annotation["label"])
            known.add(annotation["label"])
        events.append(NewEvent(video_id, *annotation["segment"], annotation["label"]))
    return store.import_events(events)


# --------------------------------------------------------------------------------------------------------- reading
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


def audio_rows_for(media_path: Path):
    """Waveform and spectrogram rows of a video's audio (silence when it has none)."""
    from loco.media import AUDIO_RATE, decode_audio
    from loco.viz.audio import audio_rows

    return audio_rows(decode_audio(media_path), AUDIO_RATE)


def boundary_frames(media_path: Path, times: list[float], size: int = 160) -> list[np.ndarray]:
    """RGB frames nearest to each time (increasing order not required), for the frame strip."""
    from loco.media import iter_frames_at

    order = sorted(range(len(times)), key=lambda i: times[i])
    frames: dict[int, np.ndarray] = {}
    for position, frame in iter_frames_at(media_path, [max(0.0, times[i]) for i in order], short_side=size,
                                          crop=size):
        frames[order[position]] = frame.copy()
    return [frames[i] for i in range(len(times))]


def run_features(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    from loco.features.store import read_features

    stored = read_features(record.feature_path)
    return stored.visual.astype(np.float32), stored.audio.astype(np.float32)


def predict_run(loaded, record: RunRecord, blank_stream: str | None = None):
    """Re-run a model on a processed video's cached features (nothing stored), optionally with a stream blanked."""
    from loco.infer import predict_features
    from loco.probe import blank

    visual, audio = run_features(record)
    if blank_stream == "audio":
        audio = blank(audio)
    elif blank_stream == "visual":
        visual = blank(visual)
    elif blank_stream is not None:
        raise ServiceError(f"stream must be 'audio' or 'visual', got {blank_stream!r}")
    return predict_features(loaded, visual, audio, record.duration).events


def modality_probe(loaded, record: RunRecord, min_score: float = 0.1):
    """Which events depend on which stream (see ``loco.probe``), for events scoring at least ``min_score``."""
    from loco.probe import modality_dependence

    full = [e for e in predict_run(loaded, record) if e.score >= min_score]
    return modality_dependence(full, predict_run(loaded, record, "audio"), predict_run(loaded, record, "visual"))


@dataclass(frozen=True)
class SnapshotEvaluation:
    """A model's mAP on a snapshot split, by class and ignoring class (were the events found at all?)."""

    named: EvaluationResult
    agnostic: EvaluationResult

    def to_dict(self) -> dict:
        return {**self.named.to_dict(), "agnostic_summary": self.agnostic.summary()}


def evaluate_on_snapshot(
    store, snapshot_id: int, loaded, split: str = "test", progress: Progress | None = None
) -> SnapshotEvaluation:
    """mAP of a model on a snapshot's split, exactly as the benchmark computes it (``loco.evaluate``), and the same
    detections scored class-agnostically."""
    from loco.evaluate import Segment, class_agnostic, evaluate_detections, load_ground_truth
    from loco.features.store import read_features
    from loco.infer import predict_features

    report = progress or (lambda fraction, message: None)
    annotations = store.snapshot_annotations(snapshot_id)
    ground_truth = load_ground_truth(annotations, split)
    if not ground_truth.video_ids:
        raise ServiceError(f"snapshot {snapshot_id} has no {split!r} videos")
    paths = store.feature_paths(ground_truth.video_ids, loaded.profile)
    missing = [v for v in ground_truth.video_ids if v not in paths]
    if missing:
        raise ServiceError(f"{len(missing)} {split} video(s) have no {loaded.profile!r} features "
                           f"(detect them with a {loaded.profile!r} model first): {missing[:3]}")
    ids_by_name = ground_truth.label_ids_by_name
    predictions = []  # classes the snapshot lacks get id -1: they miss every named class, count when names do not
    for index, video_id in enumerate(ground_truth.video_ids):
        stored = read_features(paths[video_id])
        duration = annotations["database"][video_id]["duration"]
        for e in predict_features(loaded, stored.visual, stored.audio, duration).events:
            predictions.append(Segment(video_id, e.start, e.end, ids_by_name.get(e.label, -1), e.score))
        report((index + 1) / len(ground_truth.video_ids), f"evaluated {index + 1} of {len(ground_truth.video_ids)}")
    return SnapshotEvaluation(evaluate_detections(ground_truth, predictions),
                              evaluate_detections(*class_agnostic(ground_truth, predictions)))


def copy_into_models(checkpoint: Path, name: str) -> Path:
    """Keep a trained checkpoint under ``<data>/models`` (the job folder may be cleaned up later)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100] or "model"
    target = sub_dir("models") / f"{safe}.safetensors"
    if target.exists():
        raise ServiceError(f"a model named {safe!r} exists; pick another name")
    with atomic_write(target) as out, open(checkpoint, "rb") as source:
        shutil.copyfileobj(source, out)
    return target


# --------------------------------------------------------------------------------------------------------- training
@dataclass(frozen=True)
class TrainingPlan:
    argv: list[str]
    output_dir: Path
    metrics_path: Path
    epochs: int


def training_plan(store, snapshot_id: int, config: str = "compact", epochs: int = 10,
                  init_checkpoint: Path | None = None, profile: str | None = None) -> TrainingPlan:
    """Export the snapshot (annotations + feature links) and build the ``python -m loco train`` command that trains
    (or, with ``init_checkpoint``, fine-tunes) on it; its JSONL metrics log is what the page tails.

    Fine-tuning exports the features of the starting model's profile (its weights only fit those) and fails here,
    before any job starts, when the snapshot has classes the model does not know. ``profile`` defaults to "fast"
    from scratch."""
    import sys

    from loco.checkpoint import read_header
    from loco.config import load_config
    from loco.data.unav import dataset_classes
    from loco.evaluate import class_table
    from loco.train import METRICS_LOG

    if epochs < 1:
        raise ServiceError(f"epochs must be at least 1, got {epochs}")
    database = store.snapshot_annotations(snapshot_id)["database"]
    if init_checkpoint is not None:
        header = read_header(init_checkpoint)
        if profile is not None and profile != header["profile"]:
            raise ServiceError(f"the model to fine-tune uses feature profile {header['profile']!r}, not {profile!r}")
        profile = header["profile"]
        dataset_classes(class_table(database), header["class_names"])
    profile = profile or "fast"
    info = store.snapshot(snapshot_id)
    export_dir = store.export_snapshot(snapshot_id, sub_dir("snapshots") / str(snapshot_id), profile)
    output_dir = sub_dir("training") / f"{time.strftime('%Y%m%d-%H%M%S')}-snapshot{info.snapshot_id}"
    argv = [sys.executable, "-m", "loco", "train", "--config", config, "--output", str(output_dir),
            "--annotations", str(export_dir / "annotations.json"), "--features", str(export_dir / "features"),
            f"data.profile={profile}", f"train.epochs={int(epochs)}"]
    if init_checkpoint is not None:
        argv[4:4] = ["--init", str(init_checkpoint)]
    subsets = {v["subset"] for v in database.values()}
    if load_config(config).data.val_split not in subsets:  # e.g. freshly detected videos, all "train"
        argv.append("--no-validation")
    return TrainingPlan(argv, output_dir, output_dir / METRICS_LOG, int(epochs))


def best_checkpoint(output_dir: Path) -> Path | None:
    from loco.train import BEST_CHECKPOINT

    path = Path(output_dir) / BEST_CHECKPOINT
    return path if path.is_file() else None


def register_trained_model(store, checkpoint: Path, name: str, snapshot_id: int | None, loaded) -> Path:
    """Copy a trained checkpoint into ``<data>/models``, record it in the store and make it the active model."""
    kept = copy_into_models(checkpoint, name)
    ensure_model_recorded(store, kept, loaded, snapshot_id)
    set_active_model(kept)
    return kept
