"""The app layer's fixtures: a store on a SQLite file in a data folder of the test's own (``LOCO_DATA_DIR``), where
the app layer also keeps uploads, runs and models. A test file that needs videos or events in it overrides ``store``
with a fixture that takes this one and adds them."""

from __future__ import annotations

import pytest

from storage import Store, open_store


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    opened = open_store(f"sqlite:///{tmp_path / 'loco.sqlite'}")
    yield opened
    opened.close()
