"""``extract_features(video)``: probe, hash, look up the cache, else compute both feature streams and cache them.
Bad input raises a :class:`loco.media.MediaError` before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loco.features.cache import FeatureCache
from loco.features.profiles import Profile, compute_features, get_profile
from loco.features.store import FeatureMeta, write_features
from loco.grid import FeatureGrid
from loco.io import sha256_file
from loco.media import MediaInfo, probe
from loco.progress import Progress


@dataclass
class FeatureResult:
    visual: np.ndarray  # [T, C_v] float32 (values rounded through float16, as stored)
    audio: np.ndarray  # [T, C_a] float32
    profile: str
    grid: FeatureGrid
    duration: float
    has_audio: bool
    video_sha256: str
    media_info: MediaInfo
    encoders: dict = field(default_factory=dict)
    from_cache: bool = False
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # the profile's extra streams, e.g. faces [T, 2]

    @property
    def num_steps(self) -> int:
        return int(self.visual.shape[0])

    def meta(self) -> FeatureMeta:
        return FeatureMeta(
            profile=self.profile,
            grid=self.grid,
            encoders=self.encoders,
            duration=self.duration,
            has_audio=self.has_audio,
            video_sha256=self.video_sha256,
            extra={"media": self.media_info.to_dict()},
        )

    def save(self, path: str | Path) -> Path:
        """Write this result as a per-video feature file (see :mod:`loco.features.store`)."""
        return write_features(path, self.visual, self.audio, self.meta(), self.extras)


def extract_features(
    video_path: str | Path,
    profile: str | Profile = "fast",
    progress: Progress | None = None,
    use_cache: bool = True,
) -> FeatureResult:
    """Features of one video on the profile's grid (``profile``: a name of ``PROFILES``, or a variant of one, as the
    feature benchmark measures). ``progress(fraction, message)`` is called as work advances."""
    report = progress or (lambda fraction, message: None)
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    path = Path(video_path)
    report(0.0, "probing the video")
    info = probe(path)
    digest = sha256_file(path)
    cache = FeatureCache() if use_cache else None
    stored = cache.get(digest, chosen.name, chosen.encoders) if cache else None
    if stored is not None:
        visual, audio, extras = stored.visual, stored.audio, stored.extras
    else:
        visual, audio, extras = compute_features(chosen, path, info, lambda f, m: report(0.02 + 0.96 * f, m))
        visual, audio = visual.astype(np.float16), audio.astype(np.float16)
        extras = {name: array.astype(np.float16) for name, array in extras.items()}
    result = FeatureResult(
        visual=visual.astype(np.float32),
        audio=audio.astype(np.float32),
        profile=chosen.name,
        grid=chosen.grid,
        duration=info.duration,
        has_audio=info.has_audio,
        video_sha256=digest,
        media_info=info,
        encoders=chosen.encoders,
        from_cache=stored is not None,
        extras={name: array.astype(np.float32) for name, array in extras.items()},
    )
    if cache is not None and stored is None:
        cache.put(visual, audio, result.meta(), extras)
    report(1.0, "features ready")
    return result
