"""A run's internals file: what the model computed on the way, kept beside the run for the Correspondence page and
the review queue, in the O(T * w) form of ``loco.model.internals`` (about 15 MB per hour of video).

Format 2, one ``.npz`` of float16 arrays plus a JSON ``meta`` (``format``, ``levels``, ``directions``, ``lcc_band``,
``grid``): ``lcc_visual``/``lcc_audio`` ``[T, D/2]``, the curves ``coherence_*``/``gate_*`` ``[T]``,
``cdp_left_<l>``/``cdp_right_<l>`` ``[H, T_l]``, ``attention_band_<l>_<direction>`` ``[H, T_l, 2r+1]`` and, for
dense levels, ``attention_overview_<l>_<direction>`` ``[H, K, K]``. Files of format 1 (before the banded form: ``S``
and every attention matrix whole, 240 MB for an hour) are refused with :class:`OutdatedInternalsError`; the run's
internals are then re-computed from its cached features (``studio.runs.recompute_internals``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from loco.grid import FeatureGrid
from loco.io import atomic_write
from loco.model.internals import LevelAttention, VideoInternals

FORMAT = 2
VECTORS_AND_CURVES = ("lcc_visual", "lcc_audio", "coherence_visual", "coherence_audio", "gate_visual", "gate_audio")


class OutdatedInternalsError(ValueError):
    """An internals file in an older format: re-compute it from the run's features."""


def save_internals(path: Path, internals: VideoInternals, grid: FeatureGrid) -> Path:
    """Internals as float16 arrays in one ``.npz``, written atomically."""
    arrays: dict[str, np.ndarray] = {}
    for name in VECTORS_AND_CURVES:
        value = getattr(internals, name)
        if value is not None:
            arrays[name] = value.astype(np.float16)
    for level, (left, right) in enumerate(zip(internals.cdp_left, internals.cdp_right)):
        arrays[f"cdp_left_{level}"], arrays[f"cdp_right_{level}"] = left.astype(np.float16), right.astype(np.float16)
        for direction, maps in internals.attention_maps[level].items():
            arrays[f"attention_band_{level}_{direction}"] = maps.band.astype(np.float16)
            if maps.overview is not None:
                arrays[f"attention_overview_{level}_{direction}"] = maps.overview.astype(np.float16)
    directions = sorted(internals.attention_maps[0]) if internals.attention_maps else []
    meta = {"format": FORMAT, "levels": len(internals.cdp_left), "lcc_band": internals.lcc_band,
            "grid": grid.to_dict(), "directions": directions}
    with atomic_write(path) as handle:
        np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)
    return path


def _meta(data) -> dict:
    return json.loads(str(data["meta"]))


def is_current(path: Path) -> bool:
    """Whether an internals file is of the current format (reads its header only)."""
    with np.load(path, allow_pickle=False) as data:
        return _meta(data).get("format", 1) == FORMAT


def load_internals(path: Path) -> tuple[VideoInternals, FeatureGrid]:
    """The internals and grid of a file of the current format; :class:`OutdatedInternalsError` for an older one."""
    with np.load(path, allow_pickle=False) as data:
        meta = _meta(data)
        if meta.get("format", 1) != FORMAT:
            raise OutdatedInternalsError(f"{Path(path).name} holds internals in an older format "
                                         f"({meta.get('format', 1)}, now {FORMAT}): they need re-computing")

        def get(name: str) -> np.ndarray | None:
            return data[name].astype(np.float32) if name in data.files else None

        levels = range(meta["levels"])
        attention = [{d: LevelAttention(get(f"attention_band_{l}_{d}"), get(f"attention_overview_{l}_{d}"))
                      for d in meta["directions"]} for l in levels]
        internals = VideoInternals(
            **{name: get(name) for name in VECTORS_AND_CURVES},
            cdp_left=[get(f"cdp_left_{l}") for l in levels], cdp_right=[get(f"cdp_right_{l}") for l in levels],
            attention_maps=attention, lcc_band=meta["lcc_band"],
        )
    return internals, FeatureGrid.from_dict(meta["grid"])
