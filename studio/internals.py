"""A run's internals file: what the model computed on the way (LCC correspondence, coherence and gates, CDP windows
and attention), kept beside the run for the Correspondence page and the review queue."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from loco.grid import FeatureGrid
from loco.io import atomic_write
from loco.model.internals import VideoInternals

CURVES = ("correspondence", "coherence_visual", "coherence_audio", "gate_visual", "gate_audio")


def save_internals(path: Path, internals: VideoInternals, grid: FeatureGrid) -> Path:
    """Internals as float16 arrays in one ``.npz`` (about 1 MB for a minute of video), written atomically."""
    arrays: dict[str, np.ndarray] = {}
    for name in CURVES:
        value = getattr(internals, name)
        if value is not None:
            arrays[name] = value.astype(np.float16)
    for level, (left, right) in enumerate(zip(internals.cdp_left, internals.cdp_right)):
        arrays[f"cdp_left_{level}"], arrays[f"cdp_right_{level}"] = left.astype(np.float16), right.astype(np.float16)
        for direction, weights in internals.attention[level].items():
            arrays[f"attention_{level}_{direction}"] = weights.astype(np.float16)
    meta = {"levels": len(internals.cdp_left), "lcc_band": internals.lcc_band, "grid": grid.to_dict(),
            "directions": sorted(internals.attention[0]) if internals.attention else []}
    with atomic_write(path) as handle:
        np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_internals(path: Path) -> tuple[VideoInternals, FeatureGrid]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))

        def get(name: str) -> np.ndarray | None:
            return data[name].astype(np.float32) if name in data.files else None

        levels = range(meta["levels"])
        internals = VideoInternals(
            correspondence=get("correspondence"), coherence_visual=get("coherence_visual"),
            coherence_audio=get("coherence_audio"), gate_visual=get("gate_visual"), gate_audio=get("gate_audio"),
            cdp_left=[get(f"cdp_left_{l}") for l in levels], cdp_right=[get(f"cdp_right_{l}") for l in levels],
            attention=[{d: get(f"attention_{l}_{d}") for d in meta["directions"]} for l in levels],
            lcc_band=meta["lcc_band"],
        )
    return internals, FeatureGrid.from_dict(meta["grid"])
