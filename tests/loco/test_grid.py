import numpy as np
import pytest

from loco.grid import ONE_PEACE_GRID, UNAV_GRID, FeatureGrid, grid_by_name


def test_unav_step_centres_have_the_048_offset():
    assert UNAV_GRID.step_to_seconds(0) == pytest.approx(0.48)
    assert UNAV_GRID.step_to_seconds(1) == pytest.approx(0.80)
    assert UNAV_GRID.hop_seconds == pytest.approx(0.32)
    np.testing.assert_allclose(UNAV_GRID.step_times(3), [0.48, 0.80, 1.12])


def test_one_peace_convention():
    assert ONE_PEACE_GRID.step_to_seconds(0) == pytest.approx(0.5)
    assert ONE_PEACE_GRID.step_to_seconds(4) == pytest.approx(1.5)
    assert grid_by_name("one_peace") is ONE_PEACE_GRID


@pytest.mark.parametrize("grid", [UNAV_GRID, ONE_PEACE_GRID, FeatureGrid(fps=29.97, window=16, stride=5, name="x")])
def test_seconds_step_round_trip(grid):
    steps = np.linspace(-3, 500, 97)
    np.testing.assert_allclose(grid.seconds_to_step(grid.step_to_seconds(steps)), steps, atol=1e-9)
    seconds = np.linspace(0, 3600, 101)
    np.testing.assert_allclose(grid.step_to_seconds(grid.seconds_to_step(seconds)), seconds, atol=1e-9)
    assert isinstance(grid.step_to_seconds(3), float)


def test_nearest_step_and_frames():
    assert UNAV_GRID.nearest_step(0.0) == 0
    assert UNAV_GRID.nearest_step(0.48 + 0.32 * 10 + 0.1) == 10
    assert UNAV_GRID.seconds_to_frame(1.0) == 25
    assert UNAV_GRID.frame_to_seconds(50) == pytest.approx(2.0)
    assert UNAV_GRID.step_window_frames(2) == (16, 40)


def test_num_steps_counts_full_windows():
    assert UNAV_GRID.num_steps(60.0) == (1500 - 24) // 8 + 1
    assert UNAV_GRID.num_steps(0.5) == 1  # shorter than a window still yields one step
    assert UNAV_GRID.num_steps(0.0) == 0


def test_pyramid_levels():
    assert UNAV_GRID.level_stride_seconds(0) == pytest.approx(0.32)
    assert UNAV_GRID.level_stride_seconds(5) == pytest.approx(0.32 * 32)
    np.testing.assert_allclose(UNAV_GRID.level_token_times(2, 3), [0.48, 0.48 + 1.28, 0.48 + 2.56])


def test_bad_grid_rejected():
    with pytest.raises(ValueError):
        FeatureGrid(fps=0)
    with pytest.raises(ValueError):
        grid_by_name("nope")
