from dataclasses import replace

import pytest

from loco.features.cache import FeatureCache, versions_digest
from loco.features.profiles import PROFILES, get_profile
from loco.features.registry import get_encoder
from loco.features.store import read_features
from loco.grid import UNAV_GRID
from loco.paths import ASSETS_DIR


def test_visual_windows_are_centred_on_the_step_centre():
    for profile in PROFILES.values():
        assert profile.grid == UNAV_GRID
        for step in (0, 1, 7):
            frames = profile.step_frames(step)
            centre = UNAV_GRID.frame_to_seconds((frames[0] + frames[-1] + 1) / 2) if len(frames) > 1 else \
                UNAV_GRID.frame_to_seconds(frames[0])
            assert centre == pytest.approx(0.32 * step + 0.48)
            assert frames[0] >= step * UNAV_GRID.stride and frames[-1] < step * UNAV_GRID.stride + UNAV_GRID.window


def test_profiles_and_dimensions():
    assert (get_profile("fast").visual_dim, get_profile("fast").audio_dim) == (1280, 1024)
    assert (get_profile("i3d").visual_dim, get_profile("i3d").audio_dim) == (1024, 1024)
    assert get_profile("fast").encoders != get_profile("i3d").encoders
    with pytest.raises(ValueError, match="unknown feature profile"):
        get_profile("vggish")


def test_encoder_versions_are_stable():
    """The versions key the feature cache and are checked against shipped feature files: changing one by accident
    would silently recompute every cached video and reject the shipped benchmark features."""
    audio = "yamnet-audioset-sead0.2.1-w8a8/patch0.96"
    main = {"visual": "mobilenet_v2-imagenet1k-torchvision-b0353104/clip1/crop224", "audio": audio, "pipeline": "1"}
    assert get_profile("fast").encoders == {**main, "faces": get_encoder("faces").version,
                                            "voice_pitch": get_encoder("voice_pitch").version}
    assert get_profile("i3d").encoders == {
        "visual": "i3d-kinetics400-rgb-jax0.0.1/clip16/crop224", "audio": audio, "pipeline": "1"
    }
    assert versions_digest(main) == "cb1b074f26df165d"
    shipped = read_features(ASSETS_DIR / "benchmark_test" / "features" / "test_00000.npz").meta
    assert shipped.profile == "fast" and {k: shipped.encoders[k] for k in main} == main  # made before the face cue


@pytest.mark.parametrize("stream", ["faces", "voice_pitch"])
def test_each_extra_stream_changes_the_feature_cache_key(tmp_path, stream):
    """A feature file made without an extra stream (the face cue, the voice pitch), or with another version of it, is
    never served from the cache."""
    fast = get_profile("fast").encoders
    without = {k: v for k, v in fast.items() if k != stream}
    other = {**fast, stream: fast[stream] + "-changed"}
    cache = FeatureCache(tmp_path)
    paths = {str(cache.path_for("0" * 64, "fast", versions)) for versions in (fast, without, other)}
    assert len(paths) == 3


def test_extra_streams_read_the_visual_clips_or_the_waveform():
    fast = get_profile("fast")
    assert fast.extras_of("visual") == ("faces",) and fast.extras_of("waveform") == ("voice_pitch",)
    with pytest.raises(ValueError, match="neither a visual nor a waveform"):
        replace(fast, name="odd", extra_encoders=("yamnet",))
