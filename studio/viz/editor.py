"""What the timeline editor component draws, in the compact form it is sent in.

The browser gets only what the view needs: the events as parallel columns (a 60-minute video with 2,000 events is
about 150 KB of JSON), the waveform's min/max envelope reduced to at most ``max_peaks`` buckets (about the editor's
width in pixels; the frontend draws it with wavesurfer.js), and the log-mel spectrogram as 8-bit levels, at most
``max_columns`` wide (``AudioRows.crop`` pools both, keeping every peak; computed once per video, ``editor_audio``).
Lanes, layers, colours and score opacity follow the Plotly timeline (``studio.viz.timeline``), so both read the same.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields
from typing import Any, Sequence

import numpy as np

from loco.grid import FeatureGrid
from storage import STATES, EventView
from studio.runs import layer_of
from studio.viz.audio import AudioRows
from studio.viz.timeline import LAYERS, lane_order

DB_FLOOR = -80.0  # the spectrogram's range (librosa's top_db): -80 dB is level 0, 0 dB level 255
MAX_PEAKS = 2400  # envelope buckets: about the editor's width in pixels on a wide screen
MAX_COLUMNS = 1000  # spectrogram columns (it is drawn smoothed, so fewer than the pixels do)


@dataclass(frozen=True)
class EventColumns:
    """The events, one entry per event in each column. ``lane``, ``layer`` and ``state`` index ``EditorView.lanes``,
    ``EditorView.layers`` and ``EditorView.states`` (the store's ``STATES``); ``score`` is None for unscored events."""

    id: tuple[int, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]
    lane: tuple[int, ...]
    layer: tuple[int, ...]
    state: tuple[int, ...]
    score: tuple[float | None, ...]
    rev: tuple[int, ...]


@dataclass(frozen=True)
class Spectrogram:
    """``rows`` x ``columns`` levels 0..255, row-major, the highest mel band first, base64-encoded."""

    rows: int
    columns: int
    levels: str


@dataclass(frozen=True)
class EditorAudio:
    """The audio rows as the editor draws them: the min/max envelope (wavesurfer.js's two channels of peaks) and the
    spectrogram. The same for every run of a page: compute it once per video (``editor_audio``)."""

    peaks_max: tuple[float, ...]
    peaks_min: tuple[float, ...]
    spectrogram: Spectrogram | None


@dataclass(frozen=True)
class EditorView:
    """Everything the editor draws for one video; ``to_json()`` is the component's argument."""

    duration: float
    fps: float
    grid_offset: float
    grid_hop: float
    min_length: float
    lanes: tuple[str, ...]
    classes: tuple[str, ...]
    layers: tuple[tuple[str, str], ...]
    states: tuple[str, ...]
    events: EventColumns
    audio: EditorAudio | None

    def to_json(self) -> dict[str, Any]:
        """Shallow: the columns are already JSON-ready tuples (``dataclasses.asdict`` would copy every value)."""
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload["events"] = vars(self.events)
        if self.audio is not None:
            spectrogram = self.audio.spectrogram
            payload["audio"] = {**vars(self.audio), "spectrogram": None if spectrogram is None else vars(spectrogram)}
        return payload


def spectrogram_levels(spectrogram_db: np.ndarray) -> Spectrogram:
    levels = np.clip((np.asarray(spectrogram_db, dtype=np.float32) - DB_FLOOR) / -DB_FLOOR * 255.0, 0, 255)
    levels = np.ascontiguousarray(levels[::-1].round().astype(np.uint8))
    return Spectrogram(int(levels.shape[0]), int(levels.shape[1]), base64.b64encode(levels.tobytes()).decode("ascii"))


def editor_audio(audio: AudioRows, duration: float, max_peaks: int = MAX_PEAKS,
                 max_columns: int = MAX_COLUMNS) -> EditorAudio | None:
    """The audio rows over the whole video, pooled to the editor's width (None when there is no audio)."""
    if not audio.envelope_max.size:
        return None
    audio = audio.crop(0.0, duration, buckets=max_peaks, max_frames=max_columns)
    return EditorAudio(tuple(np.round(audio.envelope_max, 3).tolist()), tuple(np.round(audio.envelope_min, 3).tolist()),
                       spectrogram_levels(audio.spectrogram_db) if audio.spectrogram_db.size else None)


def editor_view(
    events: Sequence[EventView],
    duration: float,
    *,
    fps: float,
    grid: FeatureGrid,
    classes: Sequence[str],
    min_length: float = 0.0,
    audio: EditorAudio | None = None,
    extra_lane: str | None = None,
) -> EditorView:
    """The editor's view of ``events``: one lane per class present (in taxonomy order) plus ``extra_lane`` (the
    class a new event would get), layers as on the Timeline, and the audio rows when given."""
    lanes = lane_order(events, classes)
    if extra_lane and extra_lane not in lanes:
        lanes.append(extra_lane)
    lane_index = {name: i for i, name in enumerate(lanes)}
    layer_index = {name: i for i, name in enumerate(LAYERS)}
    state_index = {name: i for i, name in enumerate(STATES)}
    ordered = sorted(events, key=lambda e: (e.start, e.event_id))
    rows = [(e.event_id, float(e.start), float(e.end), lane_index[e.label], layer_index[layer_of(e.state, e.origin)],
             state_index[e.state], None if e.score is None else round(float(e.score), 4), e.rev_no) for e in ordered]
    columns = EventColumns(*(tuple(column) for column in zip(*rows))) if rows else EventColumns(*([()] * 8))
    return EditorView(
        duration=float(duration), fps=float(fps), grid_offset=grid.offset_seconds, grid_hop=grid.hop_seconds,
        min_length=float(min_length), lanes=tuple(lanes), classes=tuple(classes), layers=tuple(LAYERS.items()),
        states=STATES, events=columns, audio=audio,
    )
