"""Probe and decode media with PyAV, streaming: only the video frames on the feature grid are converted to RGB, audio
is resampled to 16 kHz mono chunk by chunk, so a long high-resolution file is never held in memory.

Every problem with the input becomes a :class:`MediaError` subclass (a ``ValueError``) with a message a user can act on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np

MAX_SIDE = 8192
MIN_SIDE = 16
MAX_ASPECT = 16.0
AUDIO_RATE = 16000
# Signatures of containers we know: a file that starts like one but cannot be opened is corrupt, not "not media".
_CONTAINER_SIGNATURES = (b"\x1a\x45\xdf\xa3", b"RIFF", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"OggS", b"FLV")


class MediaError(ValueError):
    """The file cannot be used as a video."""


class NotMediaError(MediaError):
    """The file is not an audio/video file at all."""


class CorruptMediaError(MediaError):
    """The file looks like a media file but is damaged or truncated."""


class ZeroDurationError(MediaError):
    """The video has no frames / no duration."""


class NoVideoTrackError(MediaError):
    """The file has no video track (for example an audio-only file)."""


class AbsurdResolutionError(MediaError):
    """The frame size is too small, too large or too elongated to be a real video."""


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` finds. ``width``/``height`` are as displayed (after rotation metadata)."""

    duration: float
    fps: float
    frames: int
    width: int
    height: int
    rotation: int
    video_codec: str
    container: str
    has_audio: bool
    audio_rate: int | None
    audio_channels: int | None
    audio_codec: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def _looks_like_container(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free") or head.startswith(_CONTAINER_SIGNATURES)


def _open(path: str | Path) -> av.container.InputContainer:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise NotMediaError(f"{path.name}: the file is empty")
    try:
        return av.open(str(path), mode="r")
    except (av.error.InvalidDataError, av.error.EOFError, UnicodeDecodeError) as err:
        if _looks_like_container(path):
            raise CorruptMediaError(f"{path.name}: the media file is damaged or truncated ({err})") from None
        raise NotMediaError(f"{path.name}: not an audio/video file") from None
    except av.error.FFmpegError as err:
        raise CorruptMediaError(f"{path.name}: cannot read this media file ({err})") from None


def _rotation_of(frame: av.VideoFrame) -> int:
    """Clockwise rotation (0, 90, 180, 270) to apply to decoded frames to show them upright."""
    try:
        angle = float(frame.rotation or 0)
    except (AttributeError, TypeError, ValueError):
        angle = 0.0
    return int(round(-angle / 90.0)) % 4 * 90


def _first_video_frame(container, stream, name: str) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as err:
        raise CorruptMediaError(f"{name}: the video track cannot be decoded ({err})") from None
    raise ZeroDurationError(f"{name}: the video track has no frames")


def _stream_seconds(stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return None


def probe(path: str | Path) -> MediaInfo:
    """Read the container header and the first video frame; raise a :class:`MediaError` for unusable input."""
    path = Path(path)
    container = _open(path)
    with container:
        if not container.streams:
            if _looks_like_container(path):
                raise ZeroDurationError(f"{path.name}: the file holds no frames (zero duration)")
            raise NotMediaError(f"{path.name}: not an audio/video file (no tracks)")
        audio_streams = list(container.streams.audio)
        if not container.streams.video:
            if audio_streams:
                raise NoVideoTrackError(f"{path.name}: audio only, no video track; a video is needed")
            raise NoVideoTrackError(f"{path.name}: no video track")
        if container.format.name.endswith("_pipe") or container.format.name == "image2":
            raise NotMediaError(f"{path.name}: a still image, not a video")
        stream = container.streams.video[0]
        width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
        _check_resolution(path.name, width, height)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        duration = _stream_seconds(stream)
        if duration is None and container.duration is not None and container.duration > 0:
            duration = container.duration / av.time_base
        first = _first_video_frame(container, stream, path.name)
        if not duration or duration <= 0:
            raise ZeroDurationError(f"{path.name}: the video has zero duration")
        if not fps or not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 25.0
        frames = int(stream.frames) if stream.frames and stream.frames > 0 else max(1, round(duration * fps))
        rotation = _rotation_of(first)
        if rotation in (90, 270):
            width, height = height, width
        audio = audio_streams[0] if audio_streams else None
        return MediaInfo(
            duration=float(duration),
            fps=fps,
            frames=frames,
            width=width,
            height=height,
            rotation=rotation,
            video_codec=stream.codec_context.name,
            container=container.format.name,
            has_audio=audio is not None,
            audio_rate=int(audio.codec_context.sample_rate) if audio is not None else None,
            audio_channels=int(audio.codec_context.channels) if audio is not None else None,
            audio_codec=audio.codec_context.name if audio is not None else None,
        )


def _check_resolution(name: str, width: int, height: int) -> None:
    if (
        min(width, height) < MIN_SIDE
        or max(width, height) > MAX_SIDE
        or max(width, height) / max(1, min(width, height)) > MAX_ASPECT
    ):
        raise AbsurdResolutionError(
            f"{name}: frame size {width}x{height} is not a usable video "
            f"(each side must be {MIN_SIDE}-{MAX_SIDE} px, aspect at most {MAX_ASPECT:g}:1)"
        )


def _scaled_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    scale = short_side / min(width, height)
    return max(short_side, round(width * scale)), max(short_side, round(height * scale))


def _to_square_rgb(frame: av.VideoFrame, short_side: int, crop: int, rotation: int) -> np.ndarray:
    """Resize (short side ``short_side``), take the centre ``crop`` square, and turn it upright."""
    width, height = _scaled_size(frame.width, frame.height, short_side)
    rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR").to_ndarray()
    top, left = (height - crop) // 2, (width - crop) // 2
    square = rgb[top : top + crop, left : left + crop]
    return np.ascontiguousarray(np.rot90(square, k=-(rotation // 90))) if rotation else square


def iter_frames_at(
    path: str | Path,
    times: Iterable[float],
    short_side: int = 256,
    crop: int = 224,
    info: MediaInfo | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(i, rgb uint8 [crop, crop, 3])`` for each of the increasing ``times`` (seconds from the first frame):
    the frame shown nearest to that time. Frames are decoded in order and only the chosen ones are converted;
    times past the end get the last frame. Memory stays at a few frames whatever the file's length."""
    path = Path(path)
    info = info or probe(path)
    wanted = iter(enumerate(times))
    pending = next(wanted, None)
    if pending is None:
        return
    container = _open(path)
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        origin: float | None = None
        previous: tuple[float, av.VideoFrame] | None = None
        converted: dict[int, np.ndarray] = {}  # id of the source frame -> its RGB square (one entry at a time)
        frame_period = 1.0 / info.fps

        def rgb(frame: av.VideoFrame) -> np.ndarray:
            if id(frame) not in converted:
                converted.clear()
                converted[id(frame)] = _to_square_rgb(frame, short_side, crop, info.rotation)
            return converted[id(frame)]

        try:
            for index, frame in enumerate(container.decode(stream)):
                time = float(frame.time) if frame.time is not None else index * frame_period
                origin = time if origin is None else origin
                time -= origin
                while pending is not None and pending[1] < time:
                    target = pending[1]
                    use_previous = previous is not None and target - previous[0] <= time - target
                    chosen = previous[1] if use_previous else frame
                    yield pending[0], rgb(chosen)
                    pending = next(wanted, None)
                if pending is None:
                    return
                previous = (time, frame)
        except av.error.FFmpegError as err:
            raise CorruptMediaError(f"{path.name}: the video track is damaged ({err})") from None
        if previous is None:
            raise CorruptMediaError(f"{path.name}: no video frame could be decoded")
        last_time = previous[0]
        if last_time + max(1.0, 0.1 * info.duration) < info.duration:
            raise CorruptMediaError(
                f"{path.name}: the video stops at {last_time:.1f} s of {info.duration:.1f} s (truncated file?)"
            )
        while pending is not None:
            yield pending[0], rgb(previous[1])
            pending = next(wanted, None)


AUDIO_BLOCK_SECONDS = 10.0


def _start_seconds(stream) -> float | None:
    if stream is None or stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def _audio_shift_samples(container, audio_stream, rate: int, fps: float) -> int:
    """Samples of silence to put before the audio track (negative: samples to drop from its head) so that it starts
    where it plays against the picture: the frames' clock starts at the first video frame (:func:`iter_frames_at`).
    Shifts under one frame are left alone (encoders' priming delays, below what anyone can see or hear)."""
    video = container.streams.video[0] if container.streams.video else None
    audio_start, video_start = _start_seconds(audio_stream), _start_seconds(video)
    if audio_start is None or video_start is None or abs(audio_start - video_start) < 1.0 / fps:
        return 0
    return int(round((audio_start - video_start) * rate))


def iter_audio(
    path: str | Path, info: MediaInfo | None = None, rate: int = AUDIO_RATE, block_seconds: float = AUDIO_BLOCK_SECONDS
) -> Iterator[np.ndarray]:
    """The first audio track as consecutive mono float32 blocks of ``block_seconds`` at ``rate`` Hz (the last one
    shorter), resampled as it is decoded, on the picture's clock (a track that starts after the first frame is
    preceded by silence): memory stays at one block whatever the file's length. A file without audio gives silence
    as long as the video."""
    path = Path(path)
    info = info or probe(path)
    block = max(1, int(round(block_seconds * rate)))
    if not info.has_audio:
        remaining = int(math.ceil(info.duration * rate))
        while remaining > 0:
            yield np.zeros(min(block, remaining), np.float32)
            remaining -= block
        return
    pieces: list[np.ndarray] = []
    held = 0
    container = _open(path)
    with container:
        stream = container.streams.audio[0]
        shift = _audio_shift_samples(container, stream, rate, info.fps)
        if shift > 0:
            pieces, held = [np.zeros(shift, np.float32)], shift
        skip = max(-shift, 0)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        try:
            for frame in itertools.chain(container.decode(stream), [None]):
                for chunk in resampler.resample(frame):
                    samples = chunk.to_ndarray().reshape(-1)
                    dropped = min(skip, samples.size)
                    skip -= dropped
                    pieces.append(samples[dropped:])
                    held += pieces[-1].size
                while held >= block:
                    joined = np.concatenate(pieces)
                    yield joined[:block]
                    pieces, held = [joined[block:]], joined.size - block
        except av.error.FFmpegError as err:
            raise CorruptMediaError(f"{path.name}: the audio track is damaged ({err})") from None
    if held:
        yield np.concatenate(pieces)


def decode_audio(path: str | Path, info: MediaInfo | None = None, rate: int = AUDIO_RATE) -> np.ndarray:
    """The whole first audio track as one mono float32 array at ``rate`` Hz (see :func:`iter_audio`; feature
    extraction streams it instead)."""
    blocks = list(iter_audio(path, info, rate))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
