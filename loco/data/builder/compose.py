"""Renders a VideoPlan to an H.264/AAC MP4: numpy alpha-blending of the stamp photos over the footage, a numpy audio
mix of the stamp recordings over a low room-noise floor, both encoded with PyAV. Decoded media are cached per process,
so a worker reads each stamp and each background file once."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np
from PIL import Image
from scipy.signal import lfilter

from loco.data.builder.plan import Layer, VideoPlan

TARGET_RMS_DB = -20.0
FADE_SECONDS = 0.03
SILENCE_DB = -35.0  # relative to a recording's loudest 20 ms: what is trimmed from its ends
MAX_PHOTO_WIDTH = 0.55  # a photo never covers more than this fraction of the frame width
VIDEO_OPTIONS = {"crf": "23", "preset": "superfast", "threads": "1"}


def _db(value: float) -> float:
    return float(10.0 ** (value / 20.0))


@functools.lru_cache(maxsize=256)
def load_sound(path: str, sample_rate: int) -> np.ndarray:
    """A stamp recording as mono float32 at ``sample_rate``, its silent ends trimmed and its RMS set to -20 dBFS."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks = []
    with av.open(path) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(chunks).astype(np.float32)
    hop = max(1, sample_rate // 50)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames**2).mean(axis=1) + 1e-12)
    active = np.flatnonzero(rms > rms.max() * _db(SILENCE_DB))
    samples = samples[active[0] * hop : (active[-1] + 1) * hop]
    loud = rms[active[0] : active[-1] + 1]
    level = np.sqrt(np.mean(loud[loud > rms.max() * _db(-20.0)] ** 2))
    return (samples * (_db(TARGET_RMS_DB) / level)).astype(np.float32)


@functools.lru_cache(maxsize=256)
def load_photo(path: str) -> np.ndarray:
    """A stamp photo as RGBA uint8."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"))


@functools.lru_cache(maxsize=4096)
def _scaled_photo(path: str, height: int, flip: bool, max_width: int) -> np.ndarray:
    rgba = load_photo(path)
    width = max(1, round(rgba.shape[1] * height / rgba.shape[0]))
    if width > max_width:
        height, width = max(1, round(height * max_width / width)), max_width
    image = Image.fromarray(rgba).resize((width, height), Image.Resampling.BILINEAR)
    out = np.asarray(image)
    return np.ascontiguousarray(out[:, ::-1]) if flip else out


@functools.lru_cache(maxsize=8)
def load_background(path: str, width: int, height: int) -> tuple[np.ndarray, float]:
    """All frames of a footage file, scaled to cover ``width`` x ``height`` and centre-cropped, with its frame rate."""
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        for frame in container.decode(stream):
            image = frame.to_image()
            scale = max(width / image.width, height / image.height)
            size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BILINEAR)
            left, top = (size[0] - width) // 2, (size[1] - height) // 2
            frames.append(np.asarray(image.crop((left, top, left + width, top + height)).convert("RGB")))
    stacked = np.stack(frames)
    stacked.setflags(write=False)  # shared by every video a worker renders
    return stacked, fps


def _background_index(plan: VideoPlan, t: float, fps: float, count: int) -> int:
    """Footage frame shown at video time t: played at the plan's speed, bouncing back and forth inside its range."""
    low, high = plan.background_range
    span = max(high - low, 1.0 / fps)
    position = (plan.background_start - low) + plan.background_speed * t
    cycle = position % (2 * span)
    local = cycle if cycle < span else 2 * span - cycle
    return min(count - 1, int((low + local) * fps))


@dataclass(frozen=True)
class PhotoPlacement:
    """Where a photo lands in one frame: top-left corner (may be off-frame) and its RGBA pixels."""

    left: int
    top: int
    rgba: np.ndarray


def photo_placement(plan: VideoPlan, layer: Layer, t: float) -> PhotoPlacement | None:
    """The photo of ``layer`` at time ``t``, or None when it is not on screen then."""
    if not layer.visible or not (layer.start <= t < layer.end):
        return None
    alpha = (t - layer.start) / max(layer.end - layer.start, 1e-6)
    lerp = lambda pair: pair[0] + (pair[1] - pair[0]) * alpha  # noqa: E731
    height = max(8, round(lerp(layer.size) * plan.height))
    rgba = _scaled_photo(layer.photo, height, layer.flip, round(MAX_PHOTO_WIDTH * plan.width))
    left = round(lerp(layer.x) * plan.width - rgba.shape[1] / 2)
    top = round(lerp(layer.y) * plan.height - rgba.shape[0] / 2)
    return PhotoPlacement(left, top, rgba)


def _blend(frame: np.ndarray, placement: PhotoPlacement) -> None:
    height, width = frame.shape[:2]
    x0, y0 = max(0, placement.left), max(0, placement.top)
    x1 = min(width, placement.left + placement.rgba.shape[1])
    y1 = min(height, placement.top + placement.rgba.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    patch = placement.rgba[y0 - placement.top : y1 - placement.top, x0 - placement.left : x1 - placement.left]
    alpha = patch[..., 3:4].astype(np.float32) / 255.0
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (patch[..., :3] * alpha + region * (1.0 - alpha) + 0.5).astype(np.uint8)


def background_frame(plan: VideoPlan, index: int) -> np.ndarray:
    """Frame ``index`` of the footage alone (flip and brightness applied), as the photos are laid over it."""
    frames, fps = load_background(plan.background, plan.width, plan.height)
    frame = frames[_background_index(plan, index / plan.fps, fps, len(frames))]
    if plan.background_flip:
        frame = frame[:, ::-1]
    if plan.brightness == 1.0:
        return frame
    # Dimming only (gain <= 1), in 8.8 fixed point: three cheap array passes, no clipping needed.
    return ((frame.astype(np.uint16) * round(plan.brightness * 256)) >> 8).astype(np.uint8)


def compose_frame(plan: VideoPlan, index: int) -> np.ndarray:
    """Video frame ``index`` (RGB uint8): the footage with every photo visible at that time, in timeline order."""
    frame = np.array(background_frame(plan, index), copy=True)  # never draw into the cached footage
    t = index / plan.fps
    for layer in plan.layers:
        placement = photo_placement(plan, layer, t)
        if placement is not None:
            _blend(frame, placement)
    return frame


def _layer_audio(layer: Layer, sample_rate: int) -> np.ndarray:
    """The recording looped (with short gaps) or trimmed to the layer's length, faded in and out, at its gain."""
    recording = load_sound(layer.sound, sample_rate)
    length = int(round((layer.end - layer.start) * sample_rate))
    if len(recording) >= length:
        offset = int(layer.sound_offset * (len(recording) - length))
        signal = recording[offset : offset + length].copy()
    else:
        gap = np.zeros(int(layer.loop_gap * sample_rate), dtype=np.float32)
        repeats = length // (len(recording) + len(gap)) + 1
        signal = np.concatenate([np.concatenate([recording, gap])] * repeats)[:length]
    fade = min(int(FADE_SECONDS * sample_rate), length // 4)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        signal[:fade] *= ramp
        signal[-fade:] *= ramp[::-1]
    return signal * _db(layer.gain_db)


def mix_audio(plan: VideoPlan) -> np.ndarray:
    """The soundtrack (mono float32): a low brown-ish room noise plus every audible layer."""
    total = int(round(plan.duration * plan.sample_rate))
    noise = np.random.default_rng(plan.noise_seed).standard_normal(total).astype(np.float32)
    noise = lfilter([1.0], [1.0, -0.9], noise).astype(np.float32)
    mix = noise * (_db(plan.noise_db) / (np.sqrt(np.mean(noise**2)) + 1e-12))
    for layer in plan.layers:
        if layer.audible:
            start = int(round(layer.start * plan.sample_rate))
            signal = _layer_audio(layer, plan.sample_rate)[: total - start]
            mix[start : start + len(signal)] += signal
    peak = float(np.abs(mix).max())
    return mix * (0.98 / peak) if peak > 0.98 else mix


def iter_frames(plan: VideoPlan) -> Iterator[np.ndarray]:
    for index in range(plan.num_frames):
        yield compose_frame(plan, index)


def _mux_audio(container, stream, samples: np.ndarray, position: int, chunk: int, until: float) -> int:
    """Encode ``chunk``-sample AAC frames from ``position`` until ``until`` (interleaving audio with video)."""
    while position < len(samples) and position <= until:
        frame = av.AudioFrame.from_ndarray(samples[None, position : position + chunk], format="flt", layout="mono")
        frame.sample_rate, frame.pts = stream.rate, position
        container.mux(stream.encode(frame))
        position += chunk
    return position


def render_video(plan: VideoPlan, out_path: Path | str) -> Path:
    """Write the plan as an MP4 (H.264 yuv420p + AAC mono) atomically: a partial file never has the final name."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial")  # no video suffix: scanners skip it
    audio = mix_audio(plan)
    try:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            video_stream = container.add_stream("libx264", rate=plan.fps, options=VIDEO_OPTIONS)
            video_stream.width, video_stream.height, video_stream.pix_fmt = plan.width, plan.height, "yuv420p"
            audio_stream = container.add_stream("aac", rate=plan.sample_rate, layout="mono")
            chunk = audio_stream.codec_context.frame_size or 1024
            padded = np.concatenate([audio, np.zeros((-len(audio)) % chunk, dtype=np.float32)])
            audio_pos = 0
            for index, rgb in enumerate(iter_frames(plan)):
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = index
                container.mux(video_stream.encode(frame))
                audio_until = (index + 1) * plan.sample_rate / plan.fps
                audio_pos = _mux_audio(container, audio_stream, padded, audio_pos, chunk, audio_until)
            _mux_audio(container, audio_stream, padded, audio_pos, chunk, len(padded))
            container.mux(video_stream.encode(None))
            container.mux(audio_stream.encode(None))
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out_path
