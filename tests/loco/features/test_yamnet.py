import numpy as np
import pytest

from loco.features.yamnet import PATCH_FRAMES, StreamedWaveform, YamNet, log_mel, patches_centred_at
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


def test_streamed_waveform_gives_the_same_patches_as_the_whole_waveform():
    waveform = np.random.default_rng(0).standard_normal(16000 * 40).astype(np.float32)
    centres = 0.32 * np.arange(120) + 0.48  # the UnAV grid over about 40 s (the last patches run past the end)
    blocks = (waveform[i : i + 7777] for i in range(0, waveform.size, 7777))  # blocks unrelated to the hop
    streamed = StreamedWaveform(blocks)
    parts = [streamed.patches_centred_at(centres[i : i + 17]) for i in range(0, centres.size, 17)]
    assert np.array_equal(np.concatenate(parts), patches_centred_at(waveform, centres))
    assert streamed._samples.size < 16000 * 12  # only what the last chunk needed is still held
