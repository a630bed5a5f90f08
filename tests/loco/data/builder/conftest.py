"""Fixtures for the dataset builder tests: the real Debian stamps and footage, skipped visibly when not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from loco.data.builder.plan import TimelineTemplates
from loco.data.builder.sources import DEFAULT_STAMP_ROOT, OPENCV_FOOTAGE, load_backgrounds, load_catalogue


@pytest.fixture(scope="session")
def catalogue():
    if not DEFAULT_STAMP_ROOT.is_dir():
        pytest.skip(f"Debian package tuxpaint-stamps-default is not installed ({DEFAULT_STAMP_ROOT} missing)")
    return load_catalogue()


@pytest.fixture(scope="session")
def tree_footage() -> Path:
    path = OPENCV_FOOTAGE / "tree.avi"
    if not path.is_file():
        pytest.skip(f"Debian package opencv-doc is not installed ({path} missing)")
    return path


@pytest.fixture(scope="session")
def backgrounds(tree_footage):
    return load_backgrounds([tree_footage])


@pytest.fixture(scope="session")
def templates(unav_annotation_file):
    return TimelineTemplates.from_annotation_file(unav_annotation_file)
