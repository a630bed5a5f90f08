import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from starlette.requests import Request

from storage import VideoView
from ui.timeline_editor import media

VIDEO = VideoView(video_id="abc123", duration=10.0, sha256=None, original_name="clip.mp4", fps=25.0, n_frames=250,
                  width=64, height=48, audio_rate=None, audio_channels=None, size_bytes=None, stored_path=None,
                  subset=None, container="mov,mp4")


def served(video_id: str):
    scope = {"type": "http", "method": "GET", "path": f"/api/video/{video_id}", "headers": [],
             "path_params": {"video_id": video_id}, "query_string": b""}
    # A thread of its own: a session's Playwright (the browser tests) keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, media._serve(Request(scope))).result()


def test_a_drawn_video_is_served_from_its_file_and_nothing_else_is(tmp_path):
    clip = tmp_path / "stored"
    clip.write_bytes(b"\x00" * 1000)
    assert media.video_url(replace(VIDEO, stored_path=str(clip))) == "/api/video/abc123"
    response = served("abc123")
    assert (response.path, response.media_type) == (clip, "video/mp4")  # streamed from disk (ranges: starlette)
    assert served("not-drawn").status_code == 404


@pytest.mark.parametrize("stored", [None, "missing.mp4"])
def test_a_video_without_its_file_has_no_url(stored, tmp_path):
    path = None if stored is None else str(tmp_path / stored)
    assert media.video_url(replace(VIDEO, video_id="other", stored_path=path)) is None
