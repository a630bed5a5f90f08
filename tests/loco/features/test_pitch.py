"""The voice-pitch stream: YIN's F0 on voiced frames, against tones of known pitch and the real voices of the psychopy
package's talking heads, and extracted with the ``fast`` profile."""

import numpy as np
import pytest

from loco.features.extract import extract_features
from loco.features.pitch import CUE_DIM, periodicity, step_pitch
from loco.features.yamnet import SAMPLE_RATE
from loco.grid import UNAV_GRID
from loco.media import decode_audio
from loco.model.voice_pitch import BOUNDARY_HZ, span_pitch
from tests.fixtures.media.make_media import FIXTURES

SPEECH = {"jwpIntro": (0.95, 4.95), "testMovie": (1.15, 6.55)}  # the men's speech, as the real-video set annotates it


def voiced_tone(f0: float, seconds: float) -> np.ndarray:
    """A glottal-like tone: the fundamental and its first four harmonics, falling 6 dB an octave."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


@pytest.mark.parametrize("f0", [110.0, 220.0])
def test_a_tone_gives_its_pitch_in_every_window_and_silence_gives_none(f0):
    samples = np.concatenate([voiced_tone(f0, 2.0), np.zeros(2 * SAMPLE_RATE, np.float32)])
    cue = step_pitch(samples, np.array([0.48, 1.0, 1.52, 3.0, 3.52]))
    assert cue.shape == (5, CUE_DIM) and cue.dtype == np.float32
    assert cue[:3, 0] == pytest.approx(f0, rel=0.01) and np.all(cue[:3, 1] > 0.95)
    assert np.all(cue[3:] == 0.0)  # silence: no voiced frame


def test_periodicity_is_one_for_a_repeating_signal_and_low_for_noise():
    frames = len(voiced_tone(200.0, 1.0)) // 256 + 1
    assert np.median(periodicity(voiced_tone(200.0, 1.0), np.full(frames, 200.0))) > 0.99
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32)
    assert np.median(periodicity(noise, np.full(frames, 200.0))) < 0.2


@pytest.mark.parametrize("name", sorted(SPEECH))
def test_the_talking_heads_speak_below_the_boundary(name):
    samples = decode_audio(FIXTURES / f"{name}.mp4")
    steps = UNAV_GRID.num_steps(len(samples) / SAMPLE_RATE)
    cue = step_pitch(samples, UNAV_GRID.step_times(steps))
    start, end = (UNAV_GRID.seconds_to_step(s) for s in SPEECH[name])
    f0 = span_pitch(cue, np.array([[start, end]]))[0]
    assert 85.0 < f0 < BOUNDARY_HZ  # an adult man's voice
    assert cue[int(start):int(end), 1].mean() > 0.3  # speech is voiced much of the time


@pytest.mark.slow
def test_the_fast_profile_stores_the_pitch_beside_the_face_cue(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    features = extract_features(FIXTURES / "jwpIntro.mp4", "fast", use_cache=False)
    assert set(features.extras) == {"faces", "voice_pitch"}
    assert features.extras["voice_pitch"].shape == (features.num_steps, CUE_DIM)
    direct = step_pitch(decode_audio(FIXTURES / "jwpIntro.mp4"), UNAV_GRID.step_times(features.num_steps))
    # the chunked, streamed extraction agrees with one pass over the whole track (float16 storage aside)
    np.testing.assert_allclose(features.extras["voice_pitch"], direct, rtol=2e-3, atol=1e-3)
