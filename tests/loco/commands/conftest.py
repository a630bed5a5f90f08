"""Fixtures shared by the commands' tests."""

import json

import pytest

from loco.paths import ASSETS_DIR


@pytest.fixture()
def held_out_annotations(tmp_path):
    """Twenty of the shipped test videos relabelled as a 'dev' subset (real features of exemplars never trained on,
    with the face cue and the voice pitch): what the commands that choose on a held-out split read."""
    database = json.loads((ASSETS_DIR / "benchmark_test" / "annotations.json").read_text())["database"]
    dev = {video_id: {**entry, "subset": "dev"} for video_id, entry in sorted(database.items())[:20]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"database": dev}))
    return path
