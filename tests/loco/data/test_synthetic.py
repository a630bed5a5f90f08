"""Generated data: events need both modalities; distractors carry one; files round-trip through UnAVDataset."""

from __future__ import annotations

import numpy as np
import pytest

from loco.data.synthetic import SyntheticDataset, SyntheticSpec, class_patterns, generate_videos, write_synthetic_dataset
from loco.data.unav import UnAVDataset
from loco.grid import UNAV_GRID


def _evidence(features: np.ndarray, patterns: np.ndarray, signal: float) -> np.ndarray:
    """Per step, the best class-pattern projection, in units of the signal strength (about 1 on the pattern)."""
    return (features @ patterns.T).max(axis=1) / signal**2


def test_events_have_both_modalities_and_distractors_one():
    spec = SyntheticSpec(noise=0.0)  # noiseless: every step carries exactly the patterns placed on it
    visual_patterns, audio_patterns = class_patterns(spec)
    videos = generate_videos(30, seed=0, spec=spec)
    single_modality_steps = 0
    for video in videos:
        inside = np.zeros(len(video.visual), bool)
        steps = UNAV_GRID.seconds_to_step(video.segments).reshape(-1, 2)
        for (s, e), label in zip(steps, video.labels):
            idx = np.arange(int(np.ceil(s)), int(np.floor(e)) + 1)
            inside[idx] = True
            assert np.mean(video.visual[idx] @ visual_patterns[label]) / spec.signal**2 == pytest.approx(1.0)
            assert np.mean(video.audio[idx] @ audio_patterns[label]) / spec.signal**2 == pytest.approx(1.0)
        strong_v = _evidence(video.visual, visual_patterns, spec.signal) > 0.5
        strong_a = _evidence(video.audio, audio_patterns, spec.signal) > 0.5
        single_modality_steps += int(np.sum((strong_v ^ strong_a) & ~inside))
        assert len(video.labels) >= 1 and video.visual.shape[1] == spec.visual_dim
    assert single_modality_steps > 30 * 3  # distractors exist outside the events


def test_splits_are_reproducible_and_distinct(tmp_path):
    a = generate_videos(3, seed=1)
    b = generate_videos(3, seed=1)
    c = generate_videos(3, seed=2)
    assert all(np.array_equal(x.visual, y.visual) for x, y in zip(a, b))
    assert not np.array_equal(a[0].visual[:10], c[0].visual[:10])
    assert len(SyntheticDataset(a)) == 3 and SyntheticDataset(a).num_classes == 4


def test_written_dataset_reads_back_through_unav_dataset(tmp_path):
    ann, features = write_synthetic_dataset(tmp_path, {"train": 12, "validation": 2})
    in_memory = generate_videos(12, seed=0, prefix="train_")
    on_disk = UnAVDataset(ann, features, "train")
    assert len(on_disk) == 12 and on_disk.class_names == ["class_0", "class_1", "class_2", "class_3"]
    sample, reference = on_disk[0], SyntheticDataset(in_memory)[0]
    assert np.allclose(sample.visual.numpy(), reference.visual.numpy(), atol=1e-2)
    assert np.allclose(sample.segments.numpy(), reference.segments.numpy(), atol=1e-4)
    assert len(UnAVDataset(ann, features, "validation")) == 2
