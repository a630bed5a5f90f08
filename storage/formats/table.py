"""CSV, in seconds or in frames (``csv_frames`` carries the frame rate on every row so it reads back on its own).
Text is quoted by the csv module; frames come from ``loco.grid``. A text cell a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) is written with a leading apostrophe, as OWASP advises; a cell that
really starts with an apostrophe gets one more, so reading the file back gives every text exactly."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from loco.grid import FeatureGrid
from storage.errors import FormatError
from storage.events import NewEvent
from storage.views import EventView

SECONDS_COLUMNS = ["video_id", "start", "end", "label", "label_id", "score"]
FRAME_COLUMNS = ["video_id", "start_frame", "end_frame", "fps", "label", "label_id", "score"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_GUARD = "'"


def guard_text(text: str) -> str:
    """The cell for ``text``: never read as a formula by a spreadsheet (undone by :func:`unguard_text`)."""
    return TEXT_GUARD + text if text.startswith(FORMULA_STARTS + (TEXT_GUARD,)) else text


def unguard_text(cell: str) -> str:
    return cell[1:] if cell.startswith(TEXT_GUARD) else cell


def dump_csv(events: Sequence[EventView], fps_by_video: Mapping[str, float] | None = None) -> str:
    """Seconds if ``fps_by_video`` is None, else frames at each video's frame rate."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SECONDS_COLUMNS if fps_by_video is None else FRAME_COLUMNS)
    for e in events:
        score = "" if e.score is None else repr(e.score)
        if fps_by_video is None:
            writer.writerow([guard_text(e.video_id), repr(e.start), repr(e.end), guard_text(e.label), e.label_id, score])
        else:
            grid = FeatureGrid(fps=fps_by_video[e.video_id])
            writer.writerow([guard_text(e.video_id), grid.seconds_to_frame(e.start), grid.seconds_to_frame(e.end),
                             repr(grid.fps), guard_text(e.label), e.label_id, score])
    return buffer.getvalue()


def load_csv(text: str) -> list[NewEvent]:
    """Reads either layout (told apart by the header)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    frames = "start_frame" in header
    needed = {"video_id", "label"} | ({"start_frame", "end_frame", "fps"} if frames else {"start", "end"})
    if not needed <= set(header):
        raise FormatError(f"CSV header needs columns {sorted(needed)}, got {header}")
    events = []
    for line, row in enumerate(reader, start=2):
        try:
            if frames:
                grid = FeatureGrid(fps=float(row["fps"]))
                start, end = grid.frame_to_seconds(int(row["start_frame"])), grid.frame_to_seconds(int(row["end_frame"]))
            else:
                start, end = float(row["start"]), float(row["end"])
            score = float(row["score"]) if row.get("score") else None
        except (TypeError, ValueError) as error:
            raise FormatError(f"CSV line {line}: {error}") from None
        events.append(NewEvent(unguard_text(row["video_id"]), start, end, unguard_text(row["label"]), score))
    return events
