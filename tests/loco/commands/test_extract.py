"""``python -m loco extract`` on a folder: one feature file per usable video, bad files skipped, resumable, and a video
whose content changed under the same name extracted again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loco.commands.extract import video_id_for
from loco.features.store import read_features
from tests.fixtures.media.make_media import FIXTURES, background_frames, write_clip

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCO_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "loco", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


def test_video_ids_are_safe_names(tmp_path):
    assert video_id_for(tmp_path / "clip.mp4", tmp_path) == "clip"
    assert video_id_for(tmp_path / "a" / "b.mkv", tmp_path) == "a__b"
    odd = video_id_for(tmp_path / "../../etc/pass wd;rm.mp4")
    assert "/" not in odd and " " not in odd and ";" not in odd and not odd.startswith(".")


@pytest.mark.slow
def test_folder_extraction_skips_bad_files_and_resumes(tmp_path):
    videos, out, data = tmp_path / "videos", tmp_path / "features", tmp_path / "data"
    (videos / "sub").mkdir(parents=True)
    write_clip(videos / "one.mp4", background_frames(40, 25), 25)
    write_clip(videos / "sub" / "two.webm", background_frames(30, 25), 25, video_codec="libvpx-vp9")
    (videos / "broken.mp4").write_text("not a video")

    first = run_cli("extract", str(videos), "--profile", "fast", "--out", str(out), "--workers", "2",
                    "--quiet", data_dir=data)
    assert first.returncode == 1, first.stderr  # one video was unusable
    assert "broken.mp4" in first.stderr and "not an audio/video file" in first.stderr
    assert sorted(p.name for p in out.glob("*.npz")) == ["one.npz", "sub__two.npz"]
    stored = read_features(out / "one.npz")
    assert stored.visual.shape[1] == 1280 and stored.audio.shape[1] == 1024 and stored.meta.profile == "fast"

    (videos / "broken.mp4").unlink()
    write_clip(videos / "three.mp4", background_frames(30, 25), 25)
    write_clip(videos / "one.mp4", background_frames(60, 25), 25)  # rendered again: same name, new content
    second = run_cli("extract", str(videos), "--out", str(out), "--quiet", data_dir=data)
    assert second.returncode == 0, second.stderr
    assert "3 videos, 1 already done, 2 to extract" in second.stdout
    assert (out / "three.npz").is_file()
    assert read_features(out / "one.npz").meta.duration > stored.meta.duration


def test_single_bad_file_is_one_error_line(tmp_path):
    result = run_cli("extract", str(FIXTURES / "dog.ogg"), "--out", str(tmp_path / "f"), data_dir=tmp_path / "d")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and "audio only" in result.stderr
    assert "Traceback" not in result.stderr


def processes_with(marker: str) -> list[int]:
    """Our processes whose environment holds ``marker`` (the run's data folder): the command and its workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # gone, or not ours
                continue
    return found


@pytest.mark.slow
def test_a_sigterm_stops_the_folder_extraction_without_leaving_workers_and_it_resumes(tmp_path):
    videos, out, data = tmp_path / "videos", tmp_path / "features", tmp_path / "data"
    videos.mkdir()
    for index in range(8):
        write_clip(videos / f"clip{index}.mp4", background_frames(300 + 10 * index, 25), 25)  # no two alike
    env = {**os.environ, "LOCO_DATA_DIR": str(data)}
    process = subprocess.Popen([sys.executable, "-m", "loco", "extract", str(videos), "--out", str(out), "--workers",
                                "1", "--no-cache", "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(out.glob("*.npz")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert list(out.glob("*.npz")), "no video was extracted"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "run the same command again to resume" in stderr
    time.sleep(1.0)
    assert processes_with(str(data)) == []  # no worker outlives the command
    extracted = len(list(out.glob("*.npz")))
    assert 1 <= extracted < 8
    again = run_cli("extract", str(videos), "--out", str(out), "--quiet", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert f"8 videos, {extracted} already done, {8 - extracted} to extract" in again.stdout
