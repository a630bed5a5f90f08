"""Shared fixtures. The test tree mirrors the source tree (tests/loco, tests/storage, tests/app, tests/browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # every file the tests read ships here, with its licence (LICENSES.md)
UNAV_ANNOTATIONS = FIXTURES / "unav100" / "unav100_annotations.json"
I3D_REFERENCE = FIXTURES / "i3d_reference" / "i3d_k400_reference.npz"


@pytest.fixture(scope="session")
def unav_annotation_file() -> Path:
    """The full UnAV-100 annotation file (MIT; tests/fixtures/unav100/LICENSES.md)."""
    return UNAV_ANNOTATIONS
