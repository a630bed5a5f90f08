"""Feature tests write converted weights and the feature cache into one data directory per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def session_data_dir(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("loco-data")
    mp.setenv("LOCO_DATA_DIR", str(path))
    yield path
    mp.undo()
