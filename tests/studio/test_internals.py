import numpy as np

from loco.grid import UNAV_GRID
from loco.model.internals import VideoInternals
from studio.internals import load_internals, save_internals


def test_internals_round_trip_keeps_every_array(tmp_path):
    rng = np.random.default_rng(0)
    internals = VideoInternals(
        correspondence=rng.random((8, 8)), coherence_visual=rng.random(8), coherence_audio=rng.random(8),
        gate_visual=None, gate_audio=None, cdp_left=[rng.random((2, 8)), rng.random((2, 4))],
        cdp_right=[rng.random((2, 8)), rng.random((2, 4))],
        attention=[{"visual": rng.random((2, 8, 8)), "audio": rng.random((2, 8, 8))},
                   {"visual": rng.random((2, 4, 4)), "audio": rng.random((2, 4, 4))}], lcc_band=2)
    path = save_internals(tmp_path / "run.npz", internals, UNAV_GRID)
    loaded, grid = load_internals(path)
    assert grid == UNAV_GRID and loaded.lcc_band == 2 and loaded.gate_visual is None
    np.testing.assert_allclose(loaded.correspondence, internals.correspondence, atol=1e-3)
    np.testing.assert_allclose(loaded.attention[1]["audio"], internals.attention[1]["audio"], atol=1e-3)
    assert [a.shape for a in loaded.cdp_left] == [(2, 8), (2, 4)]
