"""Video-level inference: any length, seconds on the grid, internals with time axes, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from loco.checkpoint import FeatureMismatchError, load_checkpoint, save_checkpoint
from loco.data.synthetic import SyntheticDataset, generate_videos
from loco.grid import UNAV_GRID
from loco.infer import InferenceInputError, predict_dataset, predict_features, video_duration
from loco.model import build_model
from tests.loco.test_train import TINY_SPEC, tiny_config

pytestmark = pytest.mark.slow  # builds a model and runs it at several lengths

NAMES = ["class_0", "class_1", "class_2", "class_3"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    torch.set_num_threads(2)
    config = tiny_config("model.visual_dim=32", "model.audio_dim=24", "model.num_classes=4",
                         "postprocess.pre_nms_threshold=0.0")
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    save_checkpoint(path, build_model(config.model, seed=3), config, NAMES, "synthetic", UNAV_GRID)
    return load_checkpoint(path)


@pytest.mark.parametrize("steps", [5, 37, 150])  # shorter than a window of the coarsest level, odd, > max_seq_len
def test_any_length_gives_events_in_seconds_and_internals_on_the_time_axis(loaded, steps):
    rng = np.random.default_rng(steps)
    visual, audio = rng.standard_normal((steps, 32)), rng.standard_normal((steps + 3, 24))
    prediction = predict_features(loaded, visual, audio, duration=None, with_internals=True)
    assert prediction.num_steps == steps and prediction.duration == pytest.approx(video_duration(UNAV_GRID, steps))
    assert UNAV_GRID.num_steps(prediction.duration) == steps
    assert np.allclose(prediction.step_times[:2], [0.48, 0.80])
    assert len(prediction.level_times) == 3 and len(prediction.level_times[0]) == steps
    assert prediction.level_times[1][1] == pytest.approx(0.48 + 2 * 0.32)
    assert prediction.events, "an untrained model still scores every point above 0"
    scores = [e.score for e in prediction.events]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 100
    for event in prediction.events:
        assert 0.0 <= event.start < event.end <= prediction.duration and event.label == NAMES[event.label_id]
    internals = prediction.internals
    assert internals.correspondence.shape == (steps, steps) and internals.gate_visual.shape == (steps,)
    assert internals.cdp_left[0].shape[-1] == steps


def test_threshold_duration_clamp_and_agreement_with_dataset_prediction(loaded):
    video = generate_videos(1, 5, TINY_SPEC)[0]
    full = predict_features(loaded, video.visual, video.audio, video.duration)
    cut = predict_features(loaded, video.visual, video.audio, video.duration, score_threshold=full.events[3].score)
    assert len(cut.events) >= 4 and min(e.score for e in cut.events) >= full.events[3].score
    short = predict_features(loaded, video.visual, video.audio, duration=5.0)
    assert max(e.end for e in short.events) <= 5.0
    batch = predict_dataset(loaded, SyntheticDataset([video], TINY_SPEC), batch_size=1)
    by_score = sorted(batch, key=lambda s: -s.score)
    assert [e.label_id for e in full.events[:10]] == [s.label_id for s in by_score[:10]]
    assert np.allclose([(e.start, e.end) for e in full.events[:10]], [(s.start, s.end) for s in by_score[:10]], atol=1e-4)


def test_bad_features_raise_clear_errors(loaded):
    with pytest.raises(FeatureMismatchError, match="dims"):
        predict_features(loaded, np.zeros((10, 31)), np.zeros((10, 24)), None)
    with pytest.raises(InferenceInputError, match=r"\[T, C\]"):
        predict_features(loaded, np.zeros((0, 32)), np.zeros((0, 24)), None)
    with pytest.raises(InferenceInputError, match="NaN"):
        predict_features(loaded, np.full((10, 32), np.nan), np.zeros((10, 24)), None)
