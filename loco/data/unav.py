"""UnAV-format datasets: an annotation JSON plus a folder of per-video feature files, cropped, padded and batched.

Three feature layouts are read (docs/data.md):
- ``loco``: ``<vid>.npz`` as :mod:`loco.features.store` writes and reads it (our extractor);
- ``unav``: the official ``<vid>_rgb.npy`` + ``<vid>_flow.npy`` (I3D, concatenated to 2048) and ``<vid>_vggish.npy``;
- ``one_peace``: ``<vid>_one_peace_video_finetune.npy`` and ``<vid>_one_peace_audio.npy``.
Both streams are truncated to the shorter length. Segments are converted from seconds to feature steps by the grid.
An unreadable feature file of any layout is a :class:`~loco.features.store.FeatureFileError`.

An annotation file may also carry, beside its ``database``, the proposals a user rejected (:data:`REJECTED_KEY`,
docs/data.md): training reads them as hard negatives of their class at their span (docs/model.md §8).
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from loco.evaluate import REJECTED_KEY, class_table, remove_duplicate_annotations
from loco.features.store import FeatureFileError, read_features
from loco.grid import FeatureGrid, UNAV_GRID, grid_by_name
from loco.ids import check_video_id

FEATURE_FORMATS = ("loco", "unav", "one_peace")
FeatureSource = str | Path | Mapping[str, str | Path]  # a folder in a layout, or each video's ``loco`` file


class DatasetError(ValueError):
    """An annotation file or a feature folder that cannot be used (unknown layout, no usable video, unknown class)."""


@dataclass
class VideoSample:
    """One video ready for the model: features channel-first and its events in feature steps."""

    video_id: str
    visual: torch.Tensor  # [C_v, T] float32
    audio: torch.Tensor  # [C_a, T] float32
    segments: torch.Tensor  # [N, 2] float32, start/end in steps (fractional)
    labels: torch.Tensor  # [N] int64
    duration: float  # seconds
    # the feature file's extra streams by name, each [d, T] (the face cue "faces", the voice pitch "voice_pitch")
    cues: dict[str, torch.Tensor] = field(default_factory=dict)
    rejected: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 2))  # [M, 2] rejected proposals, steps
    rejected_labels: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int64))  # [M]

    @property
    def num_steps(self) -> int:
        return int(self.visual.shape[-1])


@dataclass
class Batch:
    """Padded batch: ``mask[b, t]`` is True on real steps; targets stay per video (lists)."""

    visual: torch.Tensor  # [B, C_v, T_pad]
    audio: torch.Tensor  # [B, C_a, T_pad]
    mask: torch.Tensor  # [B, T_pad] bool
    segments: list[torch.Tensor]
    labels: list[torch.Tensor]
    video_ids: list[str]
    durations: list[float]
    num_steps: list[int]
    cues: dict[str, torch.Tensor] = field(default_factory=dict)  # [B, d, T_pad]: the streams every video has
    rejected: list[torch.Tensor] = field(default_factory=list)  # per video [M, 2] rejected proposals, in steps
    rejected_labels: list[torch.Tensor] = field(default_factory=list)  # per video [M] their classes

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(
            self.visual.to(device),
            self.audio.to(device),
            self.mask.to(device),
            [s.to(device) for s in self.segments],
            [lab.to(device) for lab in self.labels],
            self.video_ids,
            self.durations,
            self.num_steps,
            {name: cue.to(device) for name, cue in self.cues.items()},
            [r.to(device) for r in self.rejected],
            [lab.to(device) for lab in self.rejected_labels],
        )


# ------------------------------------------------------------------------------------------------------ feature files
def feature_paths(features: FeatureSource, video_id: str, feature_format: str) -> list[Path]:
    """The file(s) holding one video's features in a given layout: named by the layout inside a folder, or the
    ``loco`` file a mapping gives (none when the mapping lacks the video)."""
    check_video_id(video_id)
    if isinstance(features, Mapping):
        if feature_format != "loco":
            raise DatasetError(f"feature files given one by one must be in the 'loco' layout, not {feature_format!r}")
        return [Path(features[video_id])] if video_id in features else []
    folder = Path(features)
    if feature_format == "loco":
        return [folder / f"{video_id}.npz"]
    if feature_format == "unav":
        return [folder / f"{video_id}_rgb.npy", folder / f"{video_id}_flow.npy", folder / f"{video_id}_vggish.npy"]
    if feature_format == "one_peace":
        return [folder / f"{video_id}_one_peace_video_finetune.npy", folder / f"{video_id}_one_peace_audio.npy"]
    raise DatasetError(f"unknown feature format {feature_format!r}; known: {list(FEATURE_FORMATS)}")


def _load_array(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"feature file {path} does not exist")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise FeatureFileError(f"{path} is not a plain numpy array file: {err}") from None
    if array.ndim != 2 or array.shape[0] == 0:
        raise FeatureFileError(f"{path} should hold a [T, C] array, got shape {array.shape}")
    return array


def truncate_to_common_length(visual: np.ndarray, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    length = min(len(visual), len(audio))
    return np.asarray(visual[:length], dtype=np.float32), np.asarray(audio[:length], dtype=np.float32)


def common_cues(extras: Mapping[str, np.ndarray], num_steps: int) -> dict[str, np.ndarray]:
    """The extra streams that cover the ``num_steps`` steps of both main streams, cut to them, float32 (a stream
    shorter than those is left out rather than padded with made-up values)."""
    return {name: np.asarray(cue[:num_steps], dtype=np.float32)
            for name, cue in extras.items() if len(cue) >= num_steps}


def read_video_streams(
    paths: list[Path], feature_format: str
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Visual [T, C_v] and audio [T, C_a] float32 features from one video's files (:func:`feature_paths`), and the
    extra streams [T, d] a ``loco`` file has (none otherwise): each file is read once."""
    if feature_format == "loco":
        stored = read_features(paths[0])
        visual, audio = truncate_to_common_length(stored.visual, stored.audio)
        return visual, audio, common_cues(stored.extras, len(visual))
    arrays = [_load_array(p) for p in paths]
    if feature_format == "unav":
        rgb, flow, audio = arrays
        length = min(len(rgb), len(flow))
        visual = np.concatenate([rgb[:length], flow[:length]], axis=1)
    else:
        visual, audio = arrays
    return *truncate_to_common_length(visual, audio), {}


def read_video_features(paths: list[Path], feature_format: str) -> tuple[np.ndarray, np.ndarray]:
    """Visual [T, C_v] and audio [T, C_a] float32 features from one video's files (:func:`feature_paths`)."""
    visual, audio, _ = read_video_streams(paths, feature_format)
    return visual, audio


def load_video_features(feature_dir: str | Path, video_id: str, feature_format: str) -> tuple[np.ndarray, np.ndarray]:
    """Visual [T, C_v] and audio [T, C_a] float32 features of one video of a folder in any supported layout."""
    return read_video_features(feature_paths(feature_dir, video_id, feature_format), feature_format)


# --------------------------------------------------------------------------------------------------------- cropping
def random_crop(
    sample: VideoSample,
    rng: np.random.Generator,
    max_seq_len: int,
    crop_ratio: Sequence[float] = (0.9, 1.0),
    min_event_survival: float = 0.5,
    attempts: int = 10,
) -> VideoSample:
    """A random window of 90–100 % of the video (at most ``max_seq_len`` steps), keeping events of which at least
    ``min_event_survival`` of their length survives, clipped to the window (ActionFormer's truncation, per sample)."""
    total = sample.num_steps
    low = max(1, int(round(crop_ratio[0] * total)))
    high = max(low, min(int(round(crop_ratio[1] * total)), total))
    length = min(int(rng.integers(low, high + 1)), max_seq_len)
    if length >= total:
        return sample
    segments = sample.segments
    for _ in range(attempts):
        start = int(rng.integers(0, total - length + 1))
        end = start + length
        left = segments[:, 0].clamp(min=start)
        right = segments[:, 1].clamp(max=end)
        survival = (right - left).clamp(min=0) / (segments[:, 1] - segments[:, 0]).clamp(min=1e-6)
        keep = survival >= min_event_survival
        if len(segments) == 0 or bool(keep.any()):
            break
    window_segments = torch.stack([left[keep], right[keep]], dim=1) - start if len(segments) else segments
    rejected = sample.rejected.clamp(min=start, max=end)
    inside = rejected[:, 1] > rejected[:, 0]  # a rejected span counts wherever it overlaps the window
    return VideoSample(
        video_id=sample.video_id,
        visual=sample.visual[:, start:end],
        audio=sample.audio[:, start:end],
        segments=window_segments.reshape(-1, 2),
        labels=sample.labels[keep] if len(segments) else sample.labels,
        duration=sample.duration,
        cues={name: cue[:, start:end] for name, cue in sample.cues.items()},
        rejected=rejected[inside] - start,
        rejected_labels=sample.rejected_labels[inside],
    )


def collate_videos(samples: list[VideoSample], pad_multiple: int = 1, min_length: int = 0) -> Batch:
    """Zero-pad to the longest video (at least ``min_length``), rounded up to ``pad_multiple`` (the coarsest stride).

    Training pads to ``max_seq_len`` like ActionFormer: every batch has the same shape, so a batch split over DDP ranks
    computes exactly what one process computes on the whole batch.
    """
    if not samples:
        raise DatasetError("cannot collate an empty batch")
    longest = max(max(s.num_steps for s in samples), min_length)
    padded = -(-longest // pad_multiple) * pad_multiple
    batch_size = len(samples)
    visual = samples[0].visual.new_zeros(batch_size, samples[0].visual.shape[0], padded)
    audio = samples[0].audio.new_zeros(batch_size, samples[0].audio.shape[0], padded)
    mask = torch.zeros(batch_size, padded, dtype=torch.bool)
    shared = set.intersection(*(set(s.cues) for s in samples))
    cues = {name: torch.zeros(batch_size, samples[0].cues[name].shape[0], padded) for name in sorted(shared)}
    for b, s in enumerate(samples):
        visual[b, :, : s.num_steps] = s.visual
        audio[b, :, : s.num_steps] = s.audio
        mask[b, : s.num_steps] = True
        for name, cue in cues.items():
            cue[b, :, : s.num_steps] = s.cues[name]
    return Batch(
        visual=visual,
        audio=audio,
        mask=mask,
        segments=[s.segments for s in samples],
        labels=[s.labels for s in samples],
        video_ids=[s.video_id for s in samples],
        durations=[s.duration for s in samples],
        num_steps=[s.num_steps for s in samples],
        cues=cues,
        rejected=[s.rejected for s in samples],
        rejected_labels=[s.rejected_labels for s in samples],
    )


# ---------------------------------------------------------------------------------------------------------- datasets
class VideoFeatureDataset(Dataset, abc.ABC):
    """Common training behaviour: deterministic per-(seed, epoch, index) random crops when ``training``.

    Subclasses implement :meth:`load_sample` (the whole video). Randomness never depends on the worker or the rank,
    so distributed and resumed runs see exactly the crops a single uninterrupted run sees.
    """

    def __init__(
        self,
        grid: FeatureGrid,
        class_names: list[str],
        training: bool = False,
        max_seq_len: int = 224,
        crop_ratio: Sequence[float] = (0.9, 1.0),
        min_event_survival: float = 0.5,
        seed: int = 0,
    ) -> None:
        self.grid = grid
        self.class_names = list(class_names)
        self.training = training
        self.max_seq_len = max_seq_len
        self.crop_ratio = tuple(crop_ratio)
        self.min_event_survival = min_event_survival
        self.seed = seed
        self.epoch = 0

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    @abc.abstractmethod
    def load_sample(self, index: int) -> VideoSample:
        """The whole video ``index`` (features, segments in steps, labels), before any crop."""

    def __getitem__(self, index: int) -> VideoSample:
        sample = self.load_sample(index)
        if not self.training:
            return sample
        rng = np.random.default_rng([self.seed, self.epoch, index])
        return random_crop(sample, rng, self.max_seq_len, self.crop_ratio, self.min_event_survival)

    def feature_dims(self) -> tuple[int, int]:
        """(visual, audio) channels, from the first video."""
        sample = self.load_sample(0)
        return int(sample.visual.shape[0]), int(sample.audio.shape[0])


@dataclass(frozen=True)
class VideoRecord:
    video_id: str
    duration: float
    segments: np.ndarray  # [N, 2] seconds
    labels: np.ndarray  # [N]
    rejected: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # [M, 2] rejected proposals, seconds
    rejected_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # [M]


def dataset_classes(table: dict[int, str], known_classes: Sequence[str] | None) -> tuple[list[str], dict[int, int]]:
    """Class names and ``file label_id -> class index``.

    Without ``known_classes`` (training from scratch) the classes are the labels present in the file, ordered by
    label_id and re-indexed 0..K-1, so sparse ids (a storage taxonomy's) give no empty placeholder classes. With
    ``known_classes`` (a model's classes, when fine-tuning or evaluating it) labels are matched BY NAME: the file's
    ids say nothing about the model's class order.
    """
    if known_classes is None:
        ordered = sorted(table)
        return [table[k] for k in ordered], {label_id: index for index, label_id in enumerate(ordered)}
    index_by_name = {name: index for index, name in enumerate(known_classes)}
    unknown = sorted({name for name in table.values() if name not in index_by_name})
    if unknown:
        raise DatasetError(f"the annotations have classes the model does not know: {', '.join(unknown)}")
    return list(known_classes), {label_id: index_by_name[name] for label_id, name in table.items()}


def grown_classes(known_classes: Sequence[str], annotations: str | Path | Mapping) -> list[str]:
    """A model's classes, then the annotations' labels it lacks (in label-id order): the classes a fine-tune of that
    model on those annotations detects. Labels are matched by name, as :func:`dataset_classes` does."""
    table = class_table(_read_annotations(annotations)[0]["database"])
    known = list(known_classes)
    return known + [name for _, name in sorted(table.items()) if name not in set(known)]


def _rejected_proposals(
    data: Mapping, video_id: str, index_by_name: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A video's rejected proposals (:data:`REJECTED_KEY`) as ([M, 2] seconds, [M] class indices); a label none of
    the classes has is left out (there is no score of it to push down)."""
    entries = [e for e in (data.get(REJECTED_KEY) or {}).get(video_id, []) if str(e["label"]) in index_by_name]
    segments = np.array([e["segment"] for e in entries], dtype=np.float64).reshape(-1, 2)
    return segments, np.array([index_by_name[str(e["label"])] for e in entries], dtype=np.int64)


def _read_annotations(annotations: str | Path | Mapping) -> tuple[Mapping, str]:
    """A UnAV-format annotation file's whole content (or its parsed dict: a snapshot's) and a name for errors."""
    if isinstance(annotations, Mapping):
        name, data = "the annotations", annotations
    else:
        path = Path(annotations)
        if not path.is_file():
            raise FileNotFoundError(f"annotation file {path} does not exist")
        try:
            name, data = str(path), json.loads(path.read_text(encoding="utf8"))
        except json.JSONDecodeError as err:
            raise DatasetError(f"{path} is not a UnAV-format annotation file: {err}") from None
    database = data.get("database") if isinstance(data, Mapping) else None
    if not isinstance(database, Mapping):
        raise DatasetError(f"{name} is not a UnAV-format annotation file: no 'database' mapping")
    return data, name


def read_annotation_records(
    annotations: str | Path | Mapping, split: str | None, known_classes: Sequence[str] | None = None
) -> tuple[list[VideoRecord], list[str], Mapping[str, Any]]:
    """Videos of one subset (duplicates removed) with labels as class indices, their rejected proposals, the class
    names, and the raw database.

    ``annotations`` is a UnAV-format file or its parsed dict. Classes come from :func:`dataset_classes` over the whole
    file (all subsets), so every split of one file, and a model's classes given as ``known_classes``, index classes the
    same way.
    """
    data, name = _read_annotations(annotations)
    database = data["database"]
    table = class_table(database)
    if not table:
        raise DatasetError(f"{name} has no annotated events, so no classes")
    class_names, index_of_label = dataset_classes(table, known_classes)
    index_by_name = {class_name: index for index, class_name in enumerate(class_names)}
    records = []
    for video_id, entry in database.items():
        if split is not None and str(entry.get("subset", "")).lower() != split.lower():
            continue
        events = remove_duplicate_annotations(entry.get("annotations", []))
        rejected, rejected_labels = _rejected_proposals(data, video_id, index_by_name)
        records.append(
            VideoRecord(
                video_id=check_video_id(video_id),
                duration=float(entry.get("duration", 0.0)),
                segments=np.array([e["segment"] for e in events], dtype=np.float64).reshape(-1, 2),
                labels=np.array([index_of_label[int(e["label_id"])] for e in events], dtype=np.int64),
                rejected=rejected,
                rejected_labels=rejected_labels,
            )
        )
    return records, class_names, database


class UnAVDataset(VideoFeatureDataset):
    """One subset of a UnAV-format annotation file (or its parsed dict), features read lazily from ``features``: a
    folder in ``feature_format``'s layout, or a mapping from video id to its ``loco`` feature file (the app's cache).

    ``known_classes`` (a model's class names) fixes the classes and maps the file's labels onto them by name
    (fine-tuning); without it the classes are the file's own labels, re-indexed densely (see :func:`dataset_classes`).

    Videos whose feature files are missing are skipped (listed in ``missing_videos``) so a partial extraction can
    still be trained on; an empty result is an error.
    """

    def __init__(
        self,
        annotations: str | Path | Mapping,
        features: FeatureSource,
        split: str | None,
        feature_format: str = "loco",
        grid: FeatureGrid = UNAV_GRID,
        known_classes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        records, class_names, _ = read_annotation_records(annotations, split, known_classes)
        super().__init__(grid=grid, class_names=class_names, **kwargs)
        self.feature_format = feature_format
        if not isinstance(features, Mapping) and not Path(features).is_dir():
            raise FileNotFoundError(f"feature folder {features} does not exist")
        paths = {r.video_id: feature_paths(features, r.video_id, feature_format) for r in records}
        present = [r for r in records if paths[r.video_id] and all(p.is_file() for p in paths[r.video_id])]
        self.missing_videos = [r.video_id for r in records if r not in present]
        if not present:
            where = "given" if isinstance(features, Mapping) else f"in {features}"
            raise DatasetError(
                f"no {feature_format!r} feature files {where} for the {len(records)} videos of split {split!r}"
            )
        self.records = present
        self._paths = {r.video_id: paths[r.video_id] for r in present}

    def __len__(self) -> int:
        return len(self.records)

    def load_sample(self, index: int) -> VideoSample:
        record = self.records[index]
        paths = self._paths[record.video_id]
        visual, audio, cues = read_video_streams(paths, self.feature_format)
        steps = np.asarray(self.grid.seconds_to_step(record.segments), dtype=np.float32).reshape(-1, 2)
        rejected = np.asarray(self.grid.seconds_to_step(record.rejected), dtype=np.float32).reshape(-1, 2)
        return VideoSample(
            video_id=record.video_id,
            visual=torch.from_numpy(np.ascontiguousarray(visual.T)),
            audio=torch.from_numpy(np.ascontiguousarray(audio.T)),
            segments=torch.from_numpy(steps),
            labels=torch.from_numpy(record.labels.copy()),
            duration=record.duration,
            cues={name: torch.from_numpy(np.ascontiguousarray(cue.T)) for name, cue in cues.items()},
            rejected=torch.from_numpy(rejected),
            rejected_labels=torch.from_numpy(record.rejected_labels.copy()),
        )


def dataset_from_config(
    config: Any,
    split: str,
    training: bool = False,
    known_classes: Sequence[str] | None = None,
    grid: FeatureGrid | None = None,
) -> UnAVDataset:
    """The UnAV-format dataset a :class:`loco.config.Config` describes, for one split (crops only when ``training``).

    ``known_classes`` and ``grid`` (a starting model's) override the file's classes and ``data.grid`` when fine-tuning.
    """
    data = config.data
    if not data.annotation_file or not data.feature_dir:
        raise DatasetError("set data.annotation_file and data.feature_dir (or --annotations / --features)")
    return UnAVDataset(
        data.annotation_file,
        data.feature_dir,
        split,
        feature_format=data.feature_format,
        grid=grid or grid_by_name(data.grid),
        known_classes=known_classes,
        training=training,
        max_seq_len=config.model.max_seq_len,
        crop_ratio=data.crop_ratio,
        min_event_survival=data.min_event_survival,
        seed=config.train.seed,
    )
