"""Annotation file formats, one module per family. Writers take the store's current events (``EventView``) and return
text or bytes; readers return ``NewEvent`` lists for ``Store.import_events``. Seconds are canonical; frames are derived
through ``loco.grid``.

| name | title (what the app shows) | module | per video | import |
|---|---|---|---|---|
| unav_json (UnAV-100 / ActivityNet ground truth) | UnAV-100 JSON | unav | no | yes |
| predictions_json (evaluation ``results``) | UnAV-100 predictions JSON | unav | no | yes |
| csv (seconds), csv_frames | CSV (seconds), CSV (frames) | table | no | yes |
| audacity (label track) | Audacity labels | audacity | yes | yes |
| webvtt (subtitles for the player) | WebVTT subtitles | subtitles | yes | no |
| eaf (one tier per class, the video linked) | ELAN | elan | yes | yes |
| textgrid (one tier per class) | Praat TextGrid | textgrid | yes | no |

Ids are the API's; titles are for people. A download is named by ``ExportFormat.file_name`` from the video's own
name made safe, never used as a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNSAFE = re.compile(r"[^\w.-]+")


def safe_stem(name: str | None, fallback: str) -> str:
    """A download's name from a user's file name: its last part without the extension, kept to letters, digits,
    '_', '.' and '-' (no separators, no leading dot: a name, never a path), at most 80 characters; ``fallback``
    when nothing is left."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return UNSAFE.sub("_", stem).strip("._-")[:80].strip("._-") or fallback


@dataclass(frozen=True)
class ExportFormat:
    name: str  # the internal id (the API's and the CLI's)
    extension: str
    per_video: bool  # the format describes one media file
    binary: bool
    title: str  # the name people know it by
    mime: str
    suffix: str = ""  # tells two formats with one extension apart in a file name

    def file_name(self, video_name: str | None = None, fallback: str = "annotations") -> str:
        """The export's file name: the video's own name made safe (``safe_stem``) when it covers one video,
        ``annotations`` for the whole project."""
        return f"{safe_stem(video_name, fallback) if video_name else fallback}{self.suffix}{self.extension}"


EXPORT_FORMATS = {
    f.name: f
    for f in (
        ExportFormat("unav_json", ".json", False, False, "UnAV-100 JSON", "application/json"),
        ExportFormat("predictions_json", ".json", False, False, "UnAV-100 predictions JSON", "application/json",
                     "_predictions"),
        ExportFormat("csv", ".csv", False, False, "CSV (seconds)", "text/csv"),
        ExportFormat("csv_frames", ".csv", False, False, "CSV (frames)", "text/csv", "_frames"),
        ExportFormat("audacity", ".txt", True, False, "Audacity labels", "text/plain", "_labels"),
        ExportFormat("webvtt", ".vtt", True, False, "WebVTT subtitles", "text/vtt"),
        ExportFormat("eaf", ".eaf", True, True, "ELAN", "application/xml"),
        ExportFormat("textgrid", ".TextGrid", True, False, "Praat TextGrid", "text/plain"),
    )
}
IMPORT_FORMATS = ("unav_json", "predictions_json", "csv", "csv_frames", "audacity", "eaf")
