"""Generated audio-visual feature sequences with known events: the learning test and CLI tests' data.

The task is built so that only an audio-visual model can solve it: an event of class k exists exactly where BOTH the
visual stream carries class k's visual pattern AND the audio stream carries class k's audio pattern. Audio-only and
visual-only occurrences of the same patterns (distractors: a dog heard off screen, a silent guitar) are not events.
Everything sits on Gaussian noise. Segments are written in seconds on the real grid, so the data goes through exactly
the same seconds -> steps conversion as UnAV-100.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from loco.data.unav import VideoFeatureDataset, VideoSample
from loco.grid import FeatureGrid, UNAV_GRID
from loco.io import atomic_write


@dataclass(frozen=True)
class SyntheticSpec:
    """Shape of the generated task; the defaults make a small problem a compact model learns in a few minutes."""

    num_classes: int = 4
    visual_dim: int = 32
    audio_dim: int = 24
    min_steps: int = 48
    max_steps: int = 96
    events_per_video: tuple[int, int] = (1, 3)
    event_steps: tuple[int, int] = (3, 24)
    distractors_per_modality: tuple[int, int] = (1, 2)
    signal: float = 3.0
    noise: float = 1.0
    pattern_seed: int = 1234  # class patterns are shared by every split


@dataclass(frozen=True)
class SyntheticVideo:
    video_id: str
    visual: np.ndarray  # [T, C_v] float32
    audio: np.ndarray  # [T, C_a] float32
    segments: np.ndarray  # [N, 2] seconds
    labels: np.ndarray  # [N]
    duration: float


def class_patterns(spec: SyntheticSpec) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm visual and audio patterns per class, times ``spec.signal``."""
    rng = np.random.default_rng(spec.pattern_seed)
    visual = rng.standard_normal((spec.num_classes, spec.visual_dim))
    audio = rng.standard_normal((spec.num_classes, spec.audio_dim))
    visual *= spec.signal / np.linalg.norm(visual, axis=1, keepdims=True)
    audio *= spec.signal / np.linalg.norm(audio, axis=1, keepdims=True)
    return visual.astype(np.float32), audio.astype(np.float32)


def _free_interval(rng: np.random.Generator, length: int, total: int, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """A random ``[start, start+length)`` overlapping no interval in ``taken`` (None after a few failed tries)."""
    for _ in range(20):
        start = int(rng.integers(0, total - length + 1))
        if all(start + length <= a or start >= b for a, b in taken):
            return start, start + length
    return None


def generate_video(rng: np.random.Generator, spec: SyntheticSpec, video_id: str, grid: FeatureGrid = UNAV_GRID) -> SyntheticVideo:
    """One video: events (both modalities), distractors (one modality), noise everywhere; intervals never overlap."""
    visual_patterns, audio_patterns = class_patterns(spec)
    total = int(rng.integers(spec.min_steps, spec.max_steps + 1))
    visual = rng.normal(0.0, spec.noise, (total, spec.visual_dim)).astype(np.float32)
    audio = rng.normal(0.0, spec.noise, (total, spec.audio_dim)).astype(np.float32)
    taken: list[tuple[int, int]] = []
    segments, labels = [], []

    def place(max_len: int) -> tuple[int, int] | None:
        length = int(rng.integers(spec.event_steps[0], min(spec.event_steps[1], max_len) + 1))
        interval = _free_interval(rng, length, total, taken)
        if interval is not None:
            taken.append(interval)
        return interval

    for _ in range(int(rng.integers(spec.events_per_video[0], spec.events_per_video[1] + 1))):
        label = int(rng.integers(spec.num_classes))
        if (interval := place(total // 2)) is None:
            continue
        start, end = interval
        visual[start:end] += visual_patterns[label]
        audio[start:end] += audio_patterns[label]
        # step t is inside the event when start - 0.5 < t < end - 0.5: its boundaries lie half-way between steps
        segments.append(grid.step_to_seconds(np.array([start - 0.5, end - 0.5])))
        labels.append(label)
    for stream, patterns in ((visual, visual_patterns), (audio, audio_patterns)):
        for _ in range(int(rng.integers(spec.distractors_per_modality[0], spec.distractors_per_modality[1] + 1))):
            if (interval := place(total // 2)) is not None:
                stream[interval[0] : interval[1]] += patterns[int(rng.integers(spec.num_classes))]
    duration = ((total - 1) * grid.stride + grid.window) / grid.fps
    seg = np.clip(np.array(segments, dtype=np.float64).reshape(-1, 2), 0.0, duration)
    return SyntheticVideo(video_id, visual, audio, seg, np.array(labels, dtype=np.int64), duration)


def generate_videos(count: int, seed: int, spec: SyntheticSpec = SyntheticSpec(), grid: FeatureGrid = UNAV_GRID,
                    prefix: str = "synth") -> list[SyntheticVideo]:
    rng = np.random.default_rng(seed)
    return [generate_video(rng, spec, f"{prefix}{seed}_{i:05d}", grid) for i in range(count)]


def class_names(spec: SyntheticSpec) -> list[str]:
    return [f"class_{k}" for k in range(spec.num_classes)]


class SyntheticDataset(VideoFeatureDataset):
    """Generated videos held in memory, with the same cropping as :class:`~loco.data.unav.UnAVDataset`."""

    def __init__(self, videos: list[SyntheticVideo], spec: SyntheticSpec = SyntheticSpec(), grid: FeatureGrid = UNAV_GRID,
                 **kwargs) -> None:
        super().__init__(grid=grid, class_names=class_names(spec), **kwargs)
        self.videos = videos

    def __len__(self) -> int:
        return len(self.videos)

    def load_sample(self, index: int) -> VideoSample:
        video = self.videos[index]
        steps = np.asarray(self.grid.seconds_to_step(video.segments), dtype=np.float32).reshape(-1, 2)
        return VideoSample(
            video_id=video.video_id,
            visual=torch.from_numpy(np.ascontiguousarray(video.visual.T)),
            audio=torch.from_numpy(np.ascontiguousarray(video.audio.T)),
            segments=torch.from_numpy(steps),
            labels=torch.from_numpy(video.labels.copy()),
            duration=video.duration,
        )


def write_synthetic_dataset(
    folder: str | Path,
    split_sizes: dict[str, int],
    spec: SyntheticSpec = SyntheticSpec(),
    grid: FeatureGrid = UNAV_GRID,
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write a UnAV-format annotation file and ``loco`` feature files (float16, like the extractor's) to ``folder``.

    Returns ``(annotation_file, feature_dir)``; each split gets its own seed so splits never share a video.
    """
    folder = Path(folder)
    feature_dir = folder / "features"
    feature_dir.mkdir(parents=True, exist_ok=True)
    names = class_names(spec)
    database = {}
    for offset, (split, count) in enumerate(split_sizes.items()):
        for video in generate_videos(count, seed * 1000 + offset, spec, grid, prefix=f"{split}_"):
            meta = {"profile": "synthetic", "grid": grid.to_dict(), "encoders": {"synthetic": asdict(spec)},
                    "duration": video.duration, "has_audio": True, "video_sha256": ""}
            with atomic_write(feature_dir / f"{video.video_id}.npz") as handle:
                np.savez(handle, visual=video.visual.astype(np.float16), audio=video.audio.astype(np.float16),
                         meta=np.array(json.dumps(meta)))
            database[video.video_id] = {
                "subset": split,
                "duration": video.duration,
                "annotations": [
                    {"segment": [float(s), float(e)], "label": names[int(k)], "label_id": int(k)}
                    for (s, e), k in zip(video.segments, video.labels)
                ],
            }
    annotation_file = folder / "annotations.json"
    with atomic_write(annotation_file, "w") as handle:
        json.dump({"database": database}, handle)
    return annotation_file, feature_dir
