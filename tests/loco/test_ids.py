"""The one video-id rule: every real id passes (UnAV-100, sha256, the extractor's), nothing path-like does, and the
datasets and the store apply the very same rule."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from loco.commands.extract import video_id_for
from loco.data.unav import feature_paths
from loco.ids import VideoIdError, check_video_id
from storage import ValidationError
from storage.videos import check_video_id as store_check_video_id

GOOD = ["-0Xvw5BHXdE", "_abc", "a..b", "clip.v2", hashlib.sha256(b"video").hexdigest(), "x" * 128]
BAD = ["", ".hidden", "..", "../etc/passwd", "a/b", "a\\b", "a b", "tab\there", "line\n", "nul\0", "é", "x" * 129, 7]


def test_every_unav100_id_and_the_extractors_ids_are_accepted(unav_annotation_file, tmp_path):
    database = json.loads(unav_annotation_file.read_text())["database"]
    assert len(database) > 10_000 and all(check_video_id(video_id) == video_id for video_id in database)
    for path in (tmp_path / "my..dir" / "clip.mp4", tmp_path / "../../etc/pass wd;rm.mp4",
                 tmp_path / ("long name " * 30 + ".mp4"), Path(".mp4")):
        check_video_id(video_id_for(path, tmp_path if path.is_relative_to(tmp_path) else None))


@pytest.mark.parametrize("video_id", GOOD)
def test_plain_names_pass_everywhere(video_id, tmp_path):
    assert check_video_id(video_id) == store_check_video_id(video_id) == video_id
    assert feature_paths(tmp_path, video_id, "loco") == [tmp_path / f"{video_id}.npz"]


@pytest.mark.parametrize("video_id", BAD)
def test_path_like_and_control_characters_are_refused_everywhere(video_id, tmp_path):
    with pytest.raises(VideoIdError, match="not a plain file name"):
        check_video_id(video_id)
    with pytest.raises(ValidationError, match="video id"):
        store_check_video_id(video_id)
    with pytest.raises(VideoIdError):
        feature_paths(tmp_path, video_id, "loco")
