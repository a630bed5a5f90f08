import pytest

from loco.features.cache import versions_digest
from loco.features.profiles import PROFILES, get_profile
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
    assert get_profile("fast").encoders == {
        "visual": "mobilenet_v2-imagenet1k-torchvision-b0353104/clip1/crop224", "audio": audio, "pipeline": "1"
    }
    assert get_profile("i3d").encoders == {
        "visual": "i3d-kinetics400-rgb-jax0.0.1/clip16/crop224", "audio": audio, "pipeline": "1"
    }
    assert versions_digest(get_profile("fast").encoders) == "cb1b074f26df165d"
    shipped = read_features(ASSETS_DIR / "benchmark_test" / "features" / "test_00000.npz").meta
    assert shipped.profile == "fast" and shipped.encoders == get_profile("fast").encoders
