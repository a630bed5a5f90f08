"""Feature cache keyed by (video content sha256, profile, encoder versions): re-analysing the same upload, or a
renamed copy of it, costs a hash. Entries are ordinary feature files (float16), written to a temporary file and
renamed, so concurrent writers of the same key each produce a complete file and the last rename wins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from loco.features.store import FeatureFileError, FeatureMeta, StoredFeatures, read_features, write_features
from loco.paths import sub_dir


def versions_digest(encoders: dict) -> str:
    return hashlib.sha256(json.dumps(encoders, sort_keys=True).encode()).hexdigest()[:16]


class FeatureCache:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else sub_dir("feature_cache")

    def path_for(self, video_sha256: str, profile: str, encoders: dict) -> Path:
        if len(video_sha256) != 64 or not all(c in "0123456789abcdef" for c in video_sha256):
            raise ValueError(f"not a sha256 hex digest: {video_sha256!r}")
        if not profile.isidentifier():
            raise ValueError(f"bad profile name {profile!r}")
        return self.root / profile / video_sha256[:2] / f"{video_sha256}-{versions_digest(encoders)}.npz"

    def get(self, video_sha256: str, profile: str, encoders: dict) -> StoredFeatures | None:
        path = self.path_for(video_sha256, profile, encoders)
        if not path.is_file():
            return None
        try:
            stored = read_features(path)
        except FeatureFileError:
            path.unlink(missing_ok=True)  # a damaged entry is recomputed, never trusted
            return None
        if stored.meta.video_sha256 != video_sha256 or stored.meta.encoders != encoders:
            return None
        return stored

    def put(self, visual, audio, meta: FeatureMeta, extras: dict | None = None) -> Path:
        path = self.path_for(meta.video_sha256, meta.profile, meta.encoders)
        return write_features(path, visual, audio, meta, extras)

    def entries(self) -> list[Path]:
        return sorted(self.root.rglob("*.npz"))
