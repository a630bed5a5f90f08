from concurrent.futures import ThreadPoolExecutor

import numpy as np

from loco.features.cache import FeatureCache
from loco.features.store import FeatureMeta
from loco.grid import UNAV_GRID

SHA = "cd" * 32


def meta(encoders: dict) -> FeatureMeta:
    return FeatureMeta("fast", UNAV_GRID, encoders, 3.0, False, SHA)


def test_keyed_by_content_profile_and_encoder_versions(tmp_path):
    cache = FeatureCache(tmp_path)
    encoders = {"visual": "v1", "audio": "a1"}
    assert cache.get(SHA, "fast", encoders) is None
    cache.put(np.ones((5, 8)), np.ones((5, 4)), meta(encoders))
    hit = cache.get(SHA, "fast", encoders)
    assert hit is not None and hit.visual.dtype == np.float16 and hit.visual.shape == (5, 8)
    assert cache.get(SHA, "fast", {"visual": "v2", "audio": "a1"}) is None
    assert cache.get(SHA, "i3d", encoders) is None
    assert cache.get("ef" * 32, "fast", encoders) is None


def test_concurrent_writers_leave_one_complete_entry(tmp_path):
    cache = FeatureCache(tmp_path)
    encoders = {"visual": "v1"}

    def write(i: int):
        return cache.put(np.full((50, 64), i), np.full((50, 32), i), meta(encoders))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(16)))
    assert len(cache.entries()) == 1
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".npz"]  # no temp files left
    stored = cache.get(SHA, "fast", encoders)
    assert stored is not None and len(set(stored.visual.ravel().tolist())) == 1  # one writer's whole file


def test_damaged_entry_is_dropped(tmp_path):
    cache = FeatureCache(tmp_path)
    encoders = {"visual": "v1"}
    path = cache.put(np.ones((5, 8)), np.ones((5, 4)), meta(encoders))
    path.write_bytes(b"garbage")
    assert cache.get(SHA, "fast", encoders) is None and not path.exists()
