"""The per-video feature file: ``<feature_dir>/<video_id>.npz`` with ``visual`` [T, C_v] and ``audio`` [T, C_a] in
float16, optional extra per-step streams ([T, d] float16 arrays under their encoder's name, e.g. ``faces``; their
versions are in the encoder versions), and ``meta``, a 0-d string array holding JSON (profile, grid, encoder
versions, duration, has_audio, video_sha256). All streams always have the same T. Written atomically; read without
pickle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loco.grid import FeatureGrid
from loco.io import atomic_write

FORMAT_VERSION = 1
RESERVED = ("visual", "audio", "meta")  # the arrays every feature file has; any other is an extra stream


class FeatureFileError(ValueError):
    """A feature file is missing arrays, has inconsistent shapes or unreadable metadata."""


@dataclass(frozen=True)
class FeatureMeta:
    profile: str
    grid: FeatureGrid
    encoders: dict
    duration: float
    has_audio: bool
    video_sha256: str
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "profile": self.profile,
                "grid": self.grid.to_dict(),
                "encoders": self.encoders,
                "duration": self.duration,
                "has_audio": self.has_audio,
                "video_sha256": self.video_sha256,
                **({"extra": self.extra} if self.extra else {}),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "FeatureMeta":
        data = json.loads(text)
        return cls(
            profile=str(data["profile"]),
            grid=FeatureGrid.from_dict(data["grid"]),
            encoders=dict(data.get("encoders", {})),
            duration=float(data["duration"]),
            has_audio=bool(data["has_audio"]),
            video_sha256=str(data.get("video_sha256", "")),
            extra=dict(data.get("extra", {})),
        )


@dataclass
class StoredFeatures:
    visual: np.ndarray  # [T, C_v] float16
    audio: np.ndarray  # [T, C_a] float16
    meta: FeatureMeta
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [T, d] float16 (e.g. "faces")

    @property
    def num_steps(self) -> int:
        return int(self.visual.shape[0])


def write_features(
    path: str | Path, visual: np.ndarray, audio: np.ndarray, meta: FeatureMeta,
    extras: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write one feature file atomically (float16; every stream truncated to the shortest length)."""
    visual, audio = np.asarray(visual), np.asarray(audio)
    if visual.ndim != 2 or audio.ndim != 2:
        raise FeatureFileError(f"features must be [T, C], got visual {visual.shape} and audio {audio.shape}")
    extras = {name: np.asarray(array) for name, array in (extras or {}).items()}
    if any(name in RESERVED or not name.isidentifier() or a.ndim != 2 for name, a in extras.items()):
        raise FeatureFileError(f"extra streams must be [T, d] arrays with other names than {RESERVED}")
    steps = min([visual.shape[0], audio.shape[0]] + [a.shape[0] for a in extras.values()])
    if steps == 0:
        raise FeatureFileError("refusing to write a feature file with zero steps")
    path = Path(path)
    with atomic_write(path) as handle:
        np.savez(
            handle,
            visual=visual[:steps].astype(np.float16),
            audio=audio[:steps].astype(np.float16),
            meta=np.array(meta.to_json()),
            **{name: array[:steps].astype(np.float16) for name, array in extras.items()},
        )
    return path


def read_features(path: str | Path) -> StoredFeatures:
    """Read a feature file written by :func:`write_features` (no pickle is ever loaded): the one reader of the format,
    for the datasets, the CLI and the app. Anything else in the file's place is a :class:`FeatureFileError`."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            visual, audio, meta_text = data["visual"], data["audio"], str(data["meta"][()])
            extras = {name: data[name] for name in data.files if name not in RESERVED}
    except FileNotFoundError:
        raise
    except (KeyError, ValueError, OSError, EOFError) as err:
        raise FeatureFileError(f"{path.name}: not a valid feature file ({err})") from None
    try:
        meta = FeatureMeta.from_json(meta_text)
    except (KeyError, ValueError, TypeError) as err:
        raise FeatureFileError(f"{path.name}: bad metadata ({err})") from None
    if visual.ndim != 2 or audio.ndim != 2 or visual.shape[0] != audio.shape[0] or visual.shape[0] == 0:
        raise FeatureFileError(f"{path.name}: inconsistent shapes visual {visual.shape}, audio {audio.shape} "
                               "(both [T, C], one T > 0)")
    if any(a.ndim != 2 or a.shape[0] != visual.shape[0] for a in extras.values()):
        raise FeatureFileError(f"{path.name}: an extra stream is not [T, d] with the features' T")
    return StoredFeatures(visual=visual, audio=audio, meta=meta, extras=extras)
