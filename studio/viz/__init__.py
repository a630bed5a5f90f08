"""Plotly figure builders for the app: every figure puts seconds on its x axis, converted with ``loco.grid`` only, so
the timeline, the audio rows and the model's internals line up with each other and with the video."""

from studio.viz.audio import AudioRows, audio_rows
from studio.viz.internals import (
    DIRECTIONS,
    banded,
    token_at,
    attention_figure,
    cdp_window_segments,
    correspondence_figure,
    curves_figure,
    internals_figure,
)
from studio.viz.timeline import LAYERS, TimelineEvent, lane_order, timeline_figure

__all__ = [
    "DIRECTIONS",
    "banded",
    "token_at",
    "LAYERS",
    "AudioRows",
    "TimelineEvent",
    "attention_figure",
    "audio_rows",
    "cdp_window_segments",
    "correspondence_figure",
    "curves_figure",
    "internals_figure",
    "lane_order",
    "timeline_figure",
]
