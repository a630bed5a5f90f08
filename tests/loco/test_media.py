"""Probe and decode every supported container/codec, built in the test from real footage and recordings."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from loco import media
from loco.media import (
    AUDIO_RATE,
    AbsurdResolutionError,
    CorruptMediaError,
    MediaError,
    NotMediaError,
    NoVideoTrackError,
    ZeroDurationError,
    decode_audio,
    iter_audio,
    iter_frames_at,
    probe,
)
from tests.fixtures.media.make_media import FIXTURES, background_frames, write_clip


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


CONTAINERS = {
    "mp4-h264-aac": ("clip.mp4", dict(video_codec="libx264", audio_codec="aac", audio_rate=44100), "h264", "aac"),
    "mkv-h264-ac3": ("clip.mkv", dict(video_codec="libx264", audio_codec="ac3", audio_rate=48000), "h264", "ac3"),
    "webm-vp9-opus": ("clip.webm", dict(video_codec="libvpx-vp9", audio_codec="libopus", audio_rate=48000), "vp9",
                      "opus"),
    "avi-mpeg4-mp3": ("clip.avi", dict(video_codec="mpeg4", audio_codec="libmp3lame", audio_rate=44100), "mpeg4",
                      "mp3"),
    "mpg-mpeg2-mp2": ("clip.mpg", dict(video_codec="mpeg2video", audio_codec="mp2", audio_rate=48000), "mpeg2video",
                      "mp2"),
    "mov-h264-aac": ("clip.mov", dict(video_codec="libx264", audio_codec="aac", audio_rate=48000), "h264", "aac"),
}


@pytest.mark.parametrize("kind", sorted(CONTAINERS))
def test_probe_and_decode_each_container(tmp_path: Path, kind: str):
    name, options, video_codec, audio_codec = CONTAINERS[kind]
    path = write_clip(tmp_path / name, background_frames(50, 25), 25,
                      audio=tone(2.0, options["audio_rate"]), **options)
    info = probe(path)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.fps == pytest.approx(25.0, abs=0.01)
    assert info.frames in (50, 51)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.video_codec == video_codec and info.audio_codec.startswith(audio_codec)
    assert info.has_audio and info.audio_rate == options["audio_rate"] and info.audio_channels == 1

    frames = list(iter_frames_at(path, [0.1, 0.5, 1.9, 2.5], info=info))
    assert [i for i, _ in frames] == [0, 1, 2, 3]
    assert all(f.shape == (224, 224, 3) and f.dtype == np.uint8 for _, f in frames)
    assert frames[0][1].std() > 10  # real footage, not a blank frame

    audio = decode_audio(path, info=info)
    assert audio.dtype == np.float32 and abs(len(audio) - 32000) < 2000
    spectrum = np.abs(np.fft.rfft(audio[4000:20000]))
    assert np.argmax(spectrum) * 16000 / 16000 == pytest.approx(440, abs=3)  # the tone survived resampling


def test_ntsc_frame_rate(tmp_path: Path):
    path = write_clip(tmp_path / "ntsc.mp4", background_frames(60, 29.97), Fraction(30000, 1001))
    info = probe(path)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.frames == 60 and info.duration == pytest.approx(60 / 29.97, abs=0.05)
    assert not info.has_audio and info.audio_rate is None and info.audio_channels is None


def _all_frames(path: Path) -> list[tuple[float, av.VideoFrame]]:
    with av.open(str(path)) as container:
        frames = [(float(f.time), f) for f in container.decode(video=0)]
    return [(t - frames[0][0], f) for t, f in frames]


def test_variable_frame_rate_picks_the_frame_shown_at_each_time(tmp_path: Path):
    times = [0.0, 0.04, 0.3, 0.35, 1.0, 1.02, 1.6, 2.0]
    path = write_clip(tmp_path / "vfr.mkv", background_frames(len(times), 5), 25, frame_times=times)
    info = probe(path)
    decoded = _all_frames(path)
    assert [round(t, 3) for t, _ in decoded] == times
    queries = [0.1, 0.2, 0.6, 0.7, 1.3, 1.9, 2.1]
    got = dict(iter_frames_at(path, queries, info=info))
    for i, q in enumerate(queries):
        nearest = min(decoded, key=lambda tf: (abs(tf[0] - q), -tf[0]))[1]
        assert np.array_equal(got[i], media._to_square_rgb(nearest, 256, 224, 0)), q


def test_rotation_metadata_turns_frames_upright(tmp_path: Path):
    frames = background_frames(25, 25)
    plain = write_clip(tmp_path / "plain.mov", frames, 25)
    rotated = write_clip(tmp_path / "rotated.mov", frames, 25, rotation=90)
    info = probe(rotated)
    assert (info.width, info.height) == (240, 320) and info.rotation == 270
    upright = dict(iter_frames_at(rotated, [0.5], info=info))[0]
    original = dict(iter_frames_at(plain, [0.5]))[0]
    assert np.array_equal(upright, np.rot90(original, k=1))  # 90 degrees counter-clockwise, as the player shows it


def test_six_channel_audio_is_mixed_to_mono(tmp_path: Path):
    path = write_clip(tmp_path / "surround.mp4", background_frames(50, 25), 25, audio=tone(2.0, 48000),
                      audio_rate=48000, audio_layout="5.1")
    info = probe(path)
    assert info.audio_channels == 6 and info.audio_rate == 48000
    audio = decode_audio(path, info=info)
    assert audio.ndim == 1 and abs(len(audio) - 32000) < 2000 and np.abs(audio).max() > 0.1


@pytest.mark.parametrize("name, codec, rate", [("late.mp4", "aac", 44100), ("late.mkv", "ac3", 48000)])
def test_an_audio_track_that_starts_late_is_preceded_by_silence(tmp_path: Path, name: str, codec: str, rate: int):
    path = write_clip(tmp_path / name, background_frames(75, 25), 25, audio=tone(2.0, rate), audio_codec=codec,
                      audio_rate=rate, audio_start=1.0)
    audio = decode_audio(path)
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    # the tone plays from 1 s to 3 s of the picture (AAC's priming delay leaves its first ~23 ms out of the header)
    assert loud[0] / AUDIO_RATE == pytest.approx(1.0, abs=0.03)
    assert loud[-1] / AUDIO_RATE == pytest.approx(3.0, abs=0.05)


def test_an_audio_track_that_starts_before_the_picture_loses_its_head(tmp_path: Path):
    rate = 48000
    frames = background_frames(50, 25)
    two_tones = np.concatenate([tone(1.0, rate, 220.0), np.zeros(rate // 2, np.float32), tone(2.0, rate)])
    path = write_clip(tmp_path / "early.mkv", frames, 25, audio=two_tones, audio_codec="ac3", audio_rate=rate,
                      frame_times=[1.0 + i / 25 for i in range(len(frames))])
    audio = decode_audio(path)
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    # the picture starts at 1 s of the track: the first tone is before it, the second starts 0.5 s in
    assert loud[0] / AUDIO_RATE == pytest.approx(0.5, abs=0.03)


def test_no_audio_track_gives_silence(tmp_path: Path):
    info = probe(FIXTURES / "vtest_crop.mp4")
    assert not info.has_audio
    audio = decode_audio(FIXTURES / "vtest_crop.mp4", info=info)
    assert len(audio) == pytest.approx(info.duration * 16000, abs=1) and not audio.any()


def test_frames_are_streamed_not_collected(tmp_path: Path):
    path = write_clip(tmp_path / "long.mp4", background_frames(100, 25), 25)
    frames = iter_frames_at(path, [i * 0.32 + 0.48 for i in range(12)])
    first = next(frames)  # a generator: the first frame arrives before the rest is decoded
    assert first[0] == 0 and len(list(frames)) == 11


def test_audio_is_streamed_in_blocks_that_join_to_the_whole_track(tmp_path: Path):
    path = write_clip(tmp_path / "tone.mp4", background_frames(75, 25), 25, audio=tone(3.0, 44100), audio_rate=44100)
    blocks = iter_audio(path, block_seconds=0.25)
    first = next(blocks)  # a generator: the first block arrives before the rest is decoded
    rest = list(blocks)
    assert first.size == 4000 and all(b.size == 4000 for b in rest[:-1]) and 0 < rest[-1].size <= 4000
    assert np.array_equal(np.concatenate([first, *rest]), decode_audio(path))


def test_not_media(tmp_path: Path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    with pytest.raises(NotMediaError):
        probe(text)
    with pytest.raises(NotMediaError, match="still image"):
        probe(FIXTURES / "dog.png")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(NotMediaError):
        probe(empty)


def test_truncated_files_are_corrupt(tmp_path: Path):
    whole = write_clip(tmp_path / "whole.mp4", background_frames(100, 25), 25, audio=tone(4.0, 16000))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(CorruptMediaError):
        probe(cut)
    whole_mkv = write_clip(tmp_path / "whole.mkv", background_frames(100, 25), 25)
    cut_mkv = tmp_path / "cut.mkv"
    cut_mkv.write_bytes(whole_mkv.read_bytes()[: whole_mkv.stat().st_size // 3])
    with pytest.raises(CorruptMediaError, match="truncated"):
        info = probe(cut_mkv)
        list(iter_frames_at(cut_mkv, [i * 0.32 + 0.48 for i in range(12)], info=info))


def test_zero_duration(tmp_path: Path):
    path = tmp_path / "zero.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        container.start_encoding()  # a valid file whose video track has no frames
    with pytest.raises(ZeroDurationError):
        probe(path)


def test_audio_only_says_so():
    with pytest.raises(NoVideoTrackError, match="audio only"):
        probe(FIXTURES / "dog.ogg")


def test_absurd_resolution(tmp_path: Path):
    strip = [f[:16, :] for f in background_frames(10, 25, size=(1024, 768))]
    path = write_clip(tmp_path / "strip.mp4", strip, 25)
    with pytest.raises(AbsurdResolutionError):
        probe(path)


def test_errors_are_value_errors():
    for error in (NotMediaError, CorruptMediaError, ZeroDurationError, NoVideoTrackError, AbsurdResolutionError):
        assert issubclass(error, MediaError) and issubclass(error, ValueError)
