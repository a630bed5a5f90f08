import pytest

from loco.features.profiles import PROFILES, get_profile
from loco.grid import UNAV_GRID


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
