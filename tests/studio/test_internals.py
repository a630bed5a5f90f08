import json

import numpy as np
import pytest

from loco.grid import UNAV_GRID
from loco.model.internals import LevelAttention, VideoInternals
from studio.internals import OutdatedInternalsError, load_internals, save_internals


def test_internals_round_trip_keeps_every_array(tmp_path):
    rng = np.random.default_rng(0)
    windowed = LevelAttention(rng.random((2, 8, 5)), None)
    dense = LevelAttention(rng.random((2, 4, 5)), rng.random((2, 4, 4)))
    internals = VideoInternals(
        lcc_visual=rng.normal(size=(8, 3)), lcc_audio=rng.normal(size=(8, 3)), coherence_visual=rng.random(8),
        coherence_audio=rng.random(8), gate_visual=None, gate_audio=None,
        cdp_left=[rng.random((2, 8)), rng.random((2, 4))], cdp_right=[rng.random((2, 8)), rng.random((2, 4))],
        attention_maps=[{"visual": windowed, "audio": windowed}, {"visual": dense, "audio": dense}], lcc_band=2)
    path = save_internals(tmp_path / "run.npz", internals, UNAV_GRID)
    loaded, grid = load_internals(path)
    assert grid == UNAV_GRID and loaded.lcc_band == 2 and loaded.gate_visual is None
    np.testing.assert_allclose(loaded.correspondence, internals.correspondence, atol=1e-2)
    np.testing.assert_allclose(loaded.attention_maps[0]["audio"].band, windowed.band, atol=1e-3)
    assert loaded.attention_maps[0]["visual"].overview is None
    np.testing.assert_allclose(loaded.attention_maps[1]["audio"].overview, dense.overview, atol=1e-3)
    assert [a.shape for a in loaded.cdp_left] == [(2, 8), (2, 4)]


def test_files_of_the_old_format_are_refused_clearly(tmp_path):
    path = tmp_path / "old.npz"
    meta = {"levels": 1, "lcc_band": 2, "grid": UNAV_GRID.to_dict(), "directions": ["visual"]}
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), correspondence=np.zeros((4, 4), np.float16))
    with pytest.raises(OutdatedInternalsError, match="older format"):
        load_internals(path)
