"""Annotation file formats, one module per family. Writers take the store's current events (``EventView``) and return
text or bytes; readers return ``NewEvent`` lists for ``Store.import_events``. Seconds are canonical; frames are derived
through ``loco.grid``.

| name | module | per video | import |
|---|---|---|---|
| unav_json (UnAV-100 / ActivityNet ground truth) | unav | no | yes |
| predictions_json (evaluation ``results``) | unav | no | yes |
| csv (seconds), csv_frames | table | no | yes |
| audacity (label track) | audacity | yes | yes |
| webvtt (subtitles for the player) | subtitles | yes | no |
| eaf (ELAN, one tier per class) | elan | yes | yes |
| textgrid (Praat, one tier per class) | textgrid | yes | no |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    per_video: bool  # the format describes one media file
    binary: bool


EXPORT_FORMATS = {
    f.name: f
    for f in (
        ExportFormat("unav_json", ".json", False, False),
        ExportFormat("predictions_json", ".json", False, False),
        ExportFormat("csv", ".csv", False, False),
        ExportFormat("csv_frames", ".csv", False, False),
        ExportFormat("audacity", ".txt", True, False),
        ExportFormat("webvtt", ".vtt", True, False),
        ExportFormat("eaf", ".eaf", True, True),
        ExportFormat("textgrid", ".TextGrid", True, False),
    )
}
IMPORT_FORMATS = ("unav_json", "predictions_json", "csv", "csv_frames", "audacity", "eaf")
