"""Inference: features -> events in seconds, for one video or a whole dataset, and the one evaluation entry.

The model and its post-processing work in feature steps; :func:`predict_batch` is the one place where a padded batch
goes through the model, the optional label prior and soft-NMS, and detections become seconds (through the grid,
clamped to the video). One video (:func:`predict_features`: the app, ``predict``) and a dataset
(:func:`predict_dataset`: ``eval``, validation during training, the app's evaluation) both go through it, so every
caller reports the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from loco.checkpoint import LoadedModel
from loco.data.unav import (
    Batch, FeatureSource, UnAVDataset, VideoFeatureDataset, VideoSample, collate_videos, common_cues,
)
from loco.evaluate import Evaluation, GroundTruth, Segment, label_ids_for, score_predictions
from loco.grid import FeatureGrid
from loco.label_prior import LabelPrior, stacked_evidence, video_evidence
from loco.model.internals import VideoInternals
from loco.model.loco import LoCoOutput
from loco.model.postprocess import Detection, decode_detections
from loco.progress import Progress, silent


class InferenceInputError(ValueError):
    """Features that cannot be run through the model (wrong rank, empty, not finite)."""


@dataclass(frozen=True)
class PredictedEvent:
    """One detected event, in seconds."""

    label: str
    label_id: int
    start: float
    end: float
    score: float


@dataclass
class VideoPrediction:
    """Events of one video (best first) and, when asked for, the internals with their time axes in seconds."""

    events: list[PredictedEvent]
    duration: float
    num_steps: int
    step_times: np.ndarray  # [T] centre of each feature step, seconds
    level_times: list[np.ndarray] = field(default_factory=list)  # per pyramid level, token centres in seconds
    internals: VideoInternals | None = None


def video_duration(grid: FeatureGrid, num_steps: int) -> float:
    """The shortest duration whose grid has ``num_steps`` windows: used when the caller does not know it."""
    return ((num_steps - 1) * grid.stride + grid.window) / grid.fps


def detections_to_seconds(
    detections: list[Detection], grid: FeatureGrid, duration: float
) -> list[tuple[int, float, float, float]]:
    """``(label_id, start_s, end_s, score)`` per detection: step -> seconds through the grid, clamped to the video."""
    out = []
    for d in detections:
        start = min(max(float(grid.step_to_seconds(d.start)), 0.0), duration)
        end = min(max(float(grid.step_to_seconds(d.end)), 0.0), duration)
        out.append((int(d.label), start, end, float(d.score)))
    return out


def pad_multiple(num_levels: int) -> int:
    """Sequences are padded to a multiple of the coarsest pyramid stride, so every level has whole tokens."""
    return 2 ** max(num_levels - 1, 0)


def label_prior_of(loaded: LoadedModel) -> LabelPrior | None:
    """The label-space evidence the model decodes with: for the label prior (``postprocess.label_prior_weight`` > 0),
    for the open-vocabulary head (``model.open_vocabulary.enabled``) and for the voice pitch
    (``postprocess.voice_pitch_width`` > 0), of every class the model scores, read in its label space; None when it
    needs none of them."""
    postprocess = loaded.config.postprocess
    needed = (postprocess.label_prior_weight > 0 or postprocess.voice_pitch_width > 0
              or loaded.config.model.open_vocabulary.enabled)
    return LabelPrior(loaded.class_names, loaded.profile, loaded.label_space) if needed else None


@torch.inference_mode()
def predict_batch(
    loaded: LoadedModel, batch: Batch, prior: LabelPrior | None, with_internals: bool = False
) -> tuple[LoCoOutput, list[list[PredictedEvent]]]:
    """The one decode: the model on a padded batch, the label prior's evidence from each video's own steps, soft-NMS,
    then seconds. Per video, every detection in decoding order (best first), none filtered: what the benchmark
    scores. ``prior`` comes from :func:`label_prior_of`, built once per caller (it reads the encoders' heads)."""
    batch = batch.to(next(loaded.model.parameters()).device)
    videos = None if prior is None else video_evidence(prior, batch.visual, batch.audio, batch.num_steps, batch.cues)
    classes = None
    if loaded.config.model.open_vocabulary.enabled:
        classes = stacked_evidence(videos, batch.visual.shape[-1], batch.visual.device)
    output = loaded.model(batch.visual, batch.audio, batch.mask, return_internals=with_internals, evidence=classes)
    postprocess = loaded.config.postprocess
    decoded_with = (postprocess.label_prior_weight > 0 or postprocess.untrained_naming == "detections"
                    or postprocess.voice_pitch_width > 0)
    detections = decode_detections(output, postprocess, len(loaded.class_names), videos if decoded_with else None,
                                   loaded.untrained_mask())
    events = [
        [PredictedEvent(loaded.class_names[k], k, start, end, score)
         for k, start, end, score in detections_to_seconds(video_detections, loaded.grid, duration)]
        for video_detections, duration in zip(detections, batch.durations)
    ]
    return output, events


def _as_features(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[0] == 0:
        raise InferenceInputError(f"{name} features must be a non-empty [T, C] array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InferenceInputError(f"{name} features contain NaN or infinite values")
    return array.astype(np.float32, copy=False)


def predict_features(
    loaded: LoadedModel,
    visual: np.ndarray,
    audio: np.ndarray,
    duration: float | None,
    with_internals: bool = False,
    score_threshold: float = 0.0,
    cues: Mapping[str, np.ndarray] | None = None,
) -> VideoPrediction:
    """Run the model on one video's features (any length T; the streams are truncated to the shorter one) and the
    extra streams [T, d] the features have (the face cue, the voice pitch; a stream shorter than T is left out).
    Events are those of :func:`predict_batch` scoring at least ``score_threshold``, without the empty spans clamping
    can leave."""
    visual = _as_features(visual, "visual")
    audio = _as_features(audio, "audio")
    loaded.check_features(visual.shape[1], audio.shape[1], loaded.profile)
    num_steps = min(len(visual), len(audio))
    duration = float(duration) if duration is not None else video_duration(loaded.grid, num_steps)
    extra = {name: torch.from_numpy(np.ascontiguousarray(cue.T))
             for name, cue in common_cues({n: _as_features(c, n) for n, c in (cues or {}).items()}, num_steps).items()}
    sample = VideoSample("", torch.from_numpy(np.ascontiguousarray(visual[:num_steps].T)),
                         torch.from_numpy(np.ascontiguousarray(audio[:num_steps].T)), torch.zeros(0, 2),
                         torch.zeros(0, dtype=torch.int64), duration, extra)
    batch = collate_videos([sample], pad_multiple=pad_multiple(loaded.config.model.pyramid_levels))
    output, (events,) = predict_batch(loaded, batch, label_prior_of(loaded), with_internals)
    events = sorted((e for e in events if e.score >= score_threshold and e.end > e.start), key=lambda e: -e.score)
    level_tokens = [int(m[0].sum()) for m in output.masks]
    return VideoPrediction(
        events=events,
        duration=duration,
        num_steps=num_steps,
        step_times=loaded.grid.step_times(num_steps),
        level_times=[loaded.grid.level_token_times(level, n) for level, n in enumerate(level_tokens)],
        internals=output.internals.video(0) if with_internals and output.internals is not None else None,
    )


def predict_dataset(
    loaded: LoadedModel, dataset: VideoFeatureDataset, batch_size: int = 8, progress: Progress = silent
) -> list[Segment]:
    """Detections in seconds of every video of ``dataset`` (whole videos: no crops), label ids the model's class
    indices, from :func:`predict_batch`. The model and the dataset are put back in the modes they were in."""
    was_training, dataset_training = loaded.model.training, dataset.training
    loaded.model.eval()
    dataset.training = False
    collate = partial(collate_videos, pad_multiple=pad_multiple(loaded.config.model.pyramid_levels))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)
    prior = label_prior_of(loaded)
    predictions: list[Segment] = []
    done = 0
    try:
        for batch in loader:
            _, per_video = predict_batch(loaded, batch, prior)
            predictions += [Segment(video_id, e.start, e.end, e.label_id, e.score)
                            for video_id, events in zip(batch.video_ids, per_video) for e in events]
            done += len(batch.video_ids)
            progress(done / len(dataset), f"predicted {done} of {len(dataset)} videos")
    finally:
        loaded.model.train(was_training)
        dataset.training = dataset_training
    return predictions


def dataset_for(
    loaded: LoadedModel,
    annotations: str | Path | Mapping,
    features: FeatureSource,
    split: str | None,
    feature_format: str = "loco",
    known_classes: Sequence[str] | None = None,
) -> UnAVDataset:
    """A split's videos to run ``loaded`` on: on the model's grid, the features' dims checked against it (the
    annotations' classes are the file's own, scoring matches them to the model's by name, unless ``known_classes``
    puts those first in its order, as ``UnAVDataset`` does)."""
    dataset = UnAVDataset(annotations, features, split, feature_format=feature_format, grid=loaded.grid,
                          known_classes=known_classes)
    loaded.check_features(*dataset.feature_dims())
    return dataset


def dataset_ground_truth(dataset: VideoFeatureDataset) -> GroundTruth:
    """Ground truth in seconds with the dataset's class indices as ids: the annotation file's own numbers when the
    dataset has records, else from its steps."""
    segments: list[Segment] = []
    records = getattr(dataset, "records", None)
    for index in range(len(dataset)):
        if records is not None:
            r = records[index]
            segments += [Segment(r.video_id, float(s), float(e), int(k)) for (s, e), k in zip(r.segments, r.labels)]
        else:
            sample = dataset.load_sample(index)
            seconds = dataset.grid.step_to_seconds(sample.segments.double().numpy()).reshape(-1, 2)
            segments += [Segment(sample.video_id, float(s), float(e), int(k))
                         for (s, e), k in zip(seconds, sample.labels)]
    return GroundTruth(segments, dict(enumerate(dataset.class_names)), [])


def evaluate_checkpoint(
    loaded: LoadedModel,
    dataset: VideoFeatureDataset,
    ground_truth: GroundTruth,
    agnostic: bool = False,
    batch_size: int = 8,
    progress: Progress = silent,
) -> Evaluation:
    """The one evaluation entry (``eval``, ``label-prior``, validation during training, the app): the model's
    detections on ``dataset`` (:func:`predict_dataset`) scored against ``ground_truth`` by the benchmark's evaluator,
    and with ``agnostic`` also class-agnostically.

    Detections get the ground truth's label ids by class NAME (:func:`loco.evaluate.label_ids_for`): a class the
    ground truth lacks gets an id no ground-truth class has, so it never matches per class and still counts when
    classes are ignored. ``Evaluation.predictions`` keeps them all (with their names in ``class_names``)."""
    ids = label_ids_for(loaded.class_names, ground_truth)
    predictions = [Segment(p.video_id, p.start, p.end, ids[loaded.class_names[p.label_id]], p.score)
                   for p in predict_dataset(loaded, dataset, batch_size, progress)]
    names = {**{label_id: name for name, label_id in ids.items()}, **ground_truth.class_names}
    return score_predictions(ground_truth, predictions, agnostic, names)
