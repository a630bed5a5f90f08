"""extract_features end to end on clips built from real footage, photos and recordings."""

from __future__ import annotations

import numpy as np
import pytest

from loco.features.cache import FeatureCache
from loco.features.extract import extract_features
from loco.features.store import read_features
from loco.grid import UNAV_GRID
from loco.media import CorruptMediaError, NotMediaError, NoVideoTrackError
from tests.fixtures.media.make_media import FIXTURES, background_frames, event_clip, write_clip


def active_span(features: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Centre times of the first and last step that differ from the background more than half the largest change."""
    background = features[(times < 1.2) | (times > 4.8)].mean(axis=0)
    distance = np.linalg.norm(features - background, axis=1)
    active = np.flatnonzero(distance > 0.5 * distance.max())
    return float(times[active[0]]), float(times[active[-1]])


@pytest.mark.slow
def test_both_streams_change_at_the_event_boundaries(tmp_path):
    clip = event_clip(tmp_path / "dog_event.mp4", "dog", start=2.0, end=4.0, duration=6.0)
    messages = []
    result = extract_features(clip, "fast", progress=lambda f, m: messages.append((f, m)))
    times = UNAV_GRID.step_times(result.num_steps)
    assert result.visual.shape == (result.num_steps, 1280) and result.audio.shape == (result.num_steps, 1024)
    assert result.num_steps == UNAV_GRID.num_steps(6.0) and result.has_audio
    for stream in (result.visual, result.audio):
        onset, offset = active_span(stream, times)
        assert abs(onset - 2.0) <= UNAV_GRID.hop_seconds + 1e-6, (onset, offset)
        assert abs(offset - 4.0) <= UNAV_GRID.hop_seconds + 1e-6, (onset, offset)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    again = extract_features(clip, "fast")
    assert again.from_cache and np.array_equal(again.visual, result.visual)
    saved = read_features(result.save(tmp_path / "out" / "dog_event.npz"))
    assert saved.meta.video_sha256 == result.video_sha256 and saved.meta.profile == "fast"
    np.testing.assert_array_equal(saved.audio.astype(np.float32), result.audio)


def test_video_without_audio_gets_silence_features():
    result = extract_features(FIXTURES / "vtest_crop.mp4", "fast")
    assert not result.has_audio
    assert np.allclose(result.audio, result.audio[0])  # every step sees the same silence
    assert result.visual.std(axis=0).mean() > 0  # the street footage moves


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda d: _text_file(d / "notes.mp4"), NotMediaError),
        (lambda d: FIXTURES / "dog.ogg", NoVideoTrackError),
        (lambda d: _truncated(d), CorruptMediaError),
    ],
)
def test_bad_input_raises_typed_error_and_caches_nothing(tmp_path, make, error):
    before = FeatureCache().entries()
    with pytest.raises(error):
        extract_features(make(tmp_path), "fast")
    assert FeatureCache().entries() == before


def _truncated(folder):
    whole = write_clip(folder / "whole.mkv", background_frames(100, 25), 25)
    cut = folder / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    return cut


def _text_file(path):
    path.write_text("hello, this is not a video")
    return path
