"""Praat TextGrid (praatio): one interval tier per class, spanning the whole video (Praat tiers tile the time axis)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from praatio import textgrid
from praatio.data_classes.interval_tier import IntervalTier

from storage.formats.lanes import class_tiers
from storage.views import EventView


def dump_textgrid(events: Sequence[EventView], duration: float) -> str:
    grid = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=duration)
    for tier, tier_events in class_tiers(events).items():
        grid.addTier(IntervalTier(tier, [(e.start, e.end, e.label) for e in tier_events], 0.0, duration))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.TextGrid"
        grid.save(str(path), format="long_textgrid", includeBlankSpaces=True, reportingMode="error")
        return path.read_text(encoding="utf-8")
