"""Feature profiles: which encoders run, and where their windows sit on the time grid.

Both profiles use ``loco.grid.UNAV_GRID``: step ``g`` covers grid frames [8g, 8g + 24) at 25 fps, centred at
0.32 g + 0.48 s. The visual encoder sees the grid frames around that centre (MobileNetV2: the one frame at the
centre; I3D: the central 16 frames), the audio encoder the 0.96 s patch centred there.

- ``fast`` = MobileNetV2 (ImageNet, 1280-d) + YAMNet (AudioSet, 1024-d): the CPU default; plus two extra streams of
  the feature file: the face cue (``faces`` [T, 2], :mod:`loco.features.faces`) on the same frames, and the voice
  pitch (``voice_pitch`` [T, 2], :mod:`loco.features.pitch`) on the same audio windows.
- ``i3d`` = I3D RGB (Kinetics-400, 1024-d) + YAMNet (1024-d): motion-aware, about 20x slower on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from loco.features import yamnet
from loco.features.prefetch import Prefetched
from loco.features.registry import Embed, get_encoder
from loco.grid import UNAV_GRID, FeatureGrid
from loco.media import MediaInfo, iter_audio, iter_frames_at
from loco.progress import Progress
PIPELINE_VERSION = "1"  # bump when frame sampling, cropping or the audio frontend changes


@dataclass(frozen=True)
class Profile:
    name: str
    visual_encoder: str  # registered encoder names (loco.features.registry)
    audio_encoder: str
    clip_frames: int  # grid frames per step fed to the visual encoder
    batch_size: int  # steps per visual forward pass
    grid: FeatureGrid = UNAV_GRID
    # extra streams of the feature file: visual encoders run on the same clips, waveform encoders on the same audio
    extra_encoders: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, stream in ((self.visual_encoder, "visual"), (self.audio_encoder, "audio")):
            if get_encoder(name).stream != stream:
                raise ValueError(f"profile {self.name!r}: {name!r} is not a {stream} encoder")
        for name in self.extra_encoders:
            if get_encoder(name).stream not in ("visual", "waveform"):
                raise ValueError(f"profile {self.name!r}: extra stream {name!r} is neither a visual nor a waveform "
                                 "encoder")

    def extras_of(self, stream: str) -> tuple[str, ...]:
        """The extra encoders that read ``stream`` ("visual" clips or the "waveform")."""
        return tuple(name for name in self.extra_encoders if get_encoder(name).stream == stream)

    @property
    def visual_dim(self) -> int:
        return get_encoder(self.visual_encoder).dim

    @property
    def audio_dim(self) -> int:
        return get_encoder(self.audio_encoder).dim

    @property
    def encoders(self) -> dict[str, str]:
        """Versions written into every feature file and into the cache key: a change here invalidates the cached and
        shipped feature files of the profile."""
        return {
            "visual": f"{get_encoder(self.visual_encoder).version}/clip{self.clip_frames}/crop224",
            "audio": get_encoder(self.audio_encoder).version,
            "pipeline": PIPELINE_VERSION,
            **{name: get_encoder(name).version for name in self.extra_encoders},
        }

    def step_frames(self, step: int) -> range:
        """Grid frame indices the visual encoder reads for ``step``, centred on the step centre."""
        start = step * self.grid.stride + self.grid.window // 2 - self.clip_frames // 2
        return range(start, start + self.clip_frames)


PROFILES = {
    "fast": Profile("fast", "mobilenet_v2", "yamnet", clip_frames=1, batch_size=32,
                    extra_encoders=("faces", "voice_pitch")),
    "i3d": Profile("i3d", "i3d", "yamnet", clip_frames=16, batch_size=4),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown feature profile {name!r}; choose one of {sorted(PROFILES)}") from None


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@lru_cache(maxsize=4)
def loaded_encoder(name: str, device_name: str) -> Embed:
    """A registered encoder, loaded once per process and device (loading takes seconds)."""
    return get_encoder(name).load(device_name)


def _clips_by_step(
    profile: Profile, path: Path, info: MediaInfo, num_steps: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(step, clip)`` in step order, decoding each needed grid frame once and holding only open clips."""
    frame_ids = sorted({f for g in range(num_steps) for f in profile.step_frames(g)})
    times = [profile.grid.frame_to_seconds(f) for f in frame_ids]
    held: dict[int, np.ndarray] = {}
    step = 0
    for position, rgb in iter_frames_at(path, times, info=info):
        held[frame_ids[position]] = rgb
        while step < num_steps and profile.step_frames(step)[-1] in held:
            yield step, np.stack([held[f] for f in profile.step_frames(step)])
            step += 1
            first_needed = profile.step_frames(step)[0] if step < num_steps else frame_ids[-1] + 1
            for f in [f for f in held if f < first_needed]:
                del held[f]


def _clip_batches(
    profile: Profile, path: Path, info: MediaInfo, num_steps: int
) -> Iterator[list[tuple[int, np.ndarray]]]:
    """``_clips_by_step`` grouped into lists of ``profile.batch_size`` (the last one may be shorter)."""
    batch: list[tuple[int, np.ndarray]] = []
    for step, clip in _clips_by_step(profile, path, info, num_steps):
        batch.append((step, clip))
        if len(batch) == profile.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def visual_features(
    profile: Profile, path: Path, info: MediaInfo, num_steps: int, progress: Progress,
    batches: Iterator[list[tuple[int, np.ndarray]]] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Visual embeddings of every step, and each extra encoder's output on the same clips. ``batches`` (default:
    decoded here) lets the caller start decoding early."""
    out = np.zeros((num_steps, profile.visual_dim), np.float32)
    extras = {name: np.zeros((num_steps, get_encoder(name).dim), np.float32) for name in profile.extras_of("visual")}
    for batch in batches if batches is not None else _clip_batches(profile, path, info, num_steps):
        steps, clips = [s for s, _ in batch], np.stack([c for _, c in batch])
        out[steps] = loaded_encoder(profile.visual_encoder, str(device()))(clips)
        for name, array in extras.items():
            array[steps] = loaded_encoder(name, str(device()))(clips)
        progress((batch[-1][0] + 1) / num_steps, f"{profile.visual_encoder}: step {batch[-1][0] + 1}/{num_steps}")
    return out, extras


AUDIO_CHUNK_STEPS = 256


def audio_features(
    profile: Profile, path: Path, info: MediaInfo, num_steps: int, progress: Progress
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """YAMNet embeddings of the 0.96 s patch centred on every step (silence when the file has no audio), and each
    waveform extra's output on the samples of the same patches; the track is decoded as it is needed, a chunk of
    steps at a time."""
    waveform = yamnet.StreamedWaveform(iter_audio(path, info=info))
    centres = profile.grid.step_times(num_steps)
    embed = loaded_encoder(profile.audio_encoder, str(device()))
    out = np.zeros((num_steps, profile.audio_dim), np.float32)
    extras = {name: np.zeros((num_steps, get_encoder(name).dim), np.float32) for name in profile.extras_of("waveform")}
    for start in range(0, num_steps, AUDIO_CHUNK_STEPS):
        stop = min(start + AUDIO_CHUNK_STEPS, num_steps)
        out[start:stop] = embed(waveform.patches_centred_at(centres[start:stop]))
        samples, offset = waveform.held()  # the samples the chunk's patches were cut from
        for name, array in extras.items():
            array[start:stop] = loaded_encoder(name, str(device()))(samples, centres[start:stop] - offset)
        progress(stop / num_steps, f"{profile.audio_encoder}: step {stop}/{num_steps}")
    return out, extras


def compute_features(
    profile: Profile, path: Path, info: MediaInfo, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Both streams for the whole video, ([T, visual_dim], [T, audio_dim]) float32 with T = grid.num_steps(duration),
    and the profile's extra streams by name ([T, d])."""
    report = progress or (lambda fraction, message: None)
    num_steps = profile.grid.num_steps(info.duration)
    # Frames are decoded in a thread from the start: while the audio is embedded, then a batch ahead of the encoder.
    with Prefetched(_clip_batches(profile, path, info, num_steps), depth=2) as batches:
        audio, audio_extras = audio_features(profile, path, info, num_steps, lambda f, m: report(0.1 * f, m))
        visual, extras = visual_features(profile, path, info, num_steps, lambda f, m: report(0.1 + 0.9 * f, m),
                                         batches)
    return visual, audio, {**extras, **audio_extras}
