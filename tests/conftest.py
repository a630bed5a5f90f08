"""Shared fixtures. The test tree mirrors the source tree (tests/loco, tests/storage, tests/app, tests/browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def unav_annotation_file() -> Path:
    path = SHARED_DATA / "unav100_annotations.json"
    if not path.is_file():
        pytest.skip(f"the UnAV-100 annotation file is not beside the checkout ({path})")
    return path
