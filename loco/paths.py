"""Where LoCo Studio keeps its files: one data directory (``LOCO_DATA_DIR``, default ``./data``) for the database,
uploads, feature cache, converted encoder weights, inference internals and trained models."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"


def data_dir() -> Path:
    path = Path(os.environ.get("LOCO_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(name: str) -> Path:
    """A named folder inside the data directory (created on first use): uploads, features, weights, runs, models."""
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
