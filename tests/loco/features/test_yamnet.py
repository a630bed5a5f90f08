import numpy as np
import pytest

from loco.features.yamnet import PATCH_FRAMES, YamNet, log_mel, patches_centred_at
from tests.fixtures.media.make_media import FIXTURES, read_audio

EXPECTED = {
    "dog": {"Dog", "Bark", "Bow-wow"},
    "rooster": {"Chicken, rooster", "Crowing, cock-a-doodle-doo", "Fowl"},
    "firetruck": {"Siren", "Emergency vehicle", "Fire engine, fire truck (siren)"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_label_in_top3(name):
    model = YamNet()
    waveform = read_audio(FIXTURES / f"{name}.ogg")
    centres = np.arange(0.48, max(len(waveform) / 16000, 0.96), 0.32)
    output = model.run(patches_centred_at(waveform, centres))
    assert output.embeddings.shape == (len(centres), 1024)
    clip_scores = output.scores.max(axis=0) + 1e-3 * output.scores.mean(axis=0)  # max over patches, mean breaks ties
    top3 = [model.class_names[i] for i in np.argsort(-clip_scores)[:3]]
    assert set(top3) & EXPECTED[name], (name, top3)


def test_patches_are_centred_and_padded_with_silence():
    rate = 16000
    waveform = np.zeros(rate * 3, np.float32)
    waveform[rate : rate + 160] = 1.0  # a click at 1.0 s
    patches = patches_centred_at(waveform, np.array([1.0, 0.0, 10.0]))
    assert patches.shape == (3, PATCH_FRAMES, 64)
    loudest_frame = int(np.argmax(patches[0].mean(axis=1)))
    assert abs(loudest_frame - PATCH_FRAMES // 2) <= 2  # the click sits in the middle of the patch centred on it
    silence = log_mel(np.zeros(400, np.float32))[0]
    np.testing.assert_allclose(patches[2], np.broadcast_to(silence, patches[2].shape))
