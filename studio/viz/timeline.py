"""The timeline: one lane per class, ground truth / predictions / corrections as separate layers, audio rows below.

Lanes are horizontal bars with ``base=start`` and ``x=duration`` on a numeric seconds axis (``px.timeline`` needs
dates). Every bar carries its event id in ``customdata[0]`` so a click or a box selection maps back to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from studio.viz.audio import AudioRows

LAYERS: dict[str, str] = {
    "ground truth": "#2ca02c",
    "prediction": "#1f77b4",
    "corrected": "#ff7f0e",
    "rejected": "#7f7f7f",
}
"""Layer name -> colour, in drawing order (the order of the bars inside a lane)."""

Spanned = TypeVar("Spanned")

EXTRA_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#17becf")
LANE_PX = 30
HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]:.2f}–%{customdata[3]:.2f} s"
    "<br>score %{customdata[4]}<br>%{customdata[5]} · event %{customdata[0]}<extra>%{fullData.name}</extra>"
)


@dataclass(frozen=True)
class TimelineEvent:
    """One bar: an event as the timeline shows it. ``score`` is None for human or imported events."""

    event_id: int
    label: str
    start: float
    end: float
    score: float | None
    layer: str
    state: str = ""


def lane_order(events: Sequence[TimelineEvent], class_order: Sequence[str] | None = None) -> list[str]:
    """Lanes that hold at least one event, in taxonomy order when given (stable lanes between videos), else by
    first start time."""
    present = {e.label for e in events}
    if class_order is not None:
        ordered = [name for name in class_order if name in present]
        return ordered + sorted(present - set(ordered))
    return list(dict.fromkeys(e.label for e in sorted(events, key=lambda e: e.start)))


def visible_events(events: Sequence[Spanned], start: float, end: float) -> list[Spanned]:
    """The events (anything with ``start`` and ``end`` in seconds) overlapping ``[start, end]``: what a view of that
    span draws."""
    return [e for e in events if e.end >= start and e.start <= end]


def score_opacity(scores: Sequence[float | None], floor: float = 0.25) -> list[float]:
    """Opacity grows with the score (unscored events are opaque): confident predictions stand out."""
    return [1.0 if s is None else floor + (1.0 - floor) * float(np.clip(s, 0.0, 1.0)) for s in scores]


def _layer_trace(events: Sequence[TimelineEvent], layer: str, colour: str) -> go.Bar:
    return go.Bar(
        name=layer,
        orientation="h",
        base=[e.start for e in events],
        x=[e.end - e.start for e in events],
        y=[e.label for e in events],
        offsetgroup=layer,
        marker={"color": colour, "opacity": score_opacity([e.score for e in events]),
                "line": {"width": 0}},
        customdata=[[e.event_id, e.label, e.start, e.end, "—" if e.score is None else f"{e.score:.3f}", e.state]
                    for e in events],
        hovertemplate=HOVER,
    )


def timeline_figure(
    events: Sequence[TimelineEvent],
    duration: float,
    *,
    class_order: Sequence[str] | None = None,
    selected_event_id: int | None = None,
    audio: AudioRows | None = None,
    playhead: float | None = None,
    x_range: tuple[float, float] | None = None,
) -> go.Figure:
    """Lanes (and, when ``audio`` is given, waveform and spectrogram rows) on one shared seconds axis, showing
    ``x_range`` (the whole video by default): events outside it are left out and the audio rows cropped and re-pooled
    to it, so the figure stays small for any length. Lanes come from every event, so they stay put as the span moves."""
    lanes = lane_order(events, class_order)
    start, end = x_range or (0.0, duration)
    events = visible_events(events, start, end)
    lanes_px = max(1, len(lanes)) * LANE_PX + 60
    rows = 3 if audio is not None else 1
    heights = [lanes_px, 80, 110][:rows]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        row_heights=[h / sum(heights) for h in heights])
    extra = list(dict.fromkeys(e.layer for e in events if e.layer not in LAYERS))  # e.g. "model A", "model B"
    for index, layer in enumerate([*LAYERS, *extra]):
        layer_events = [e for e in events if e.layer == layer]
        if layer_events:
            colour = LAYERS.get(layer, EXTRA_COLOURS[(index - len(LAYERS)) % len(EXTRA_COLOURS)])
            fig.add_trace(_layer_trace(layer_events, layer, colour), row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=lanes[::-1], type="category", row=1, col=1,
                     range=[-0.5, max(0.5, len(lanes) - 0.5)], fixedrange=True)
    if audio is not None:
        _add_audio_rows(fig, audio.crop(start, end))
    if selected_event_id is not None:
        selected = next((e for e in events if e.event_id == selected_event_id), None)
        if selected is not None:
            fig.add_vrect(x0=selected.start, x1=selected.end, row="all", col=1, fillcolor="#d62728", opacity=0.12,
                          line={"color": "#d62728", "width": 1})
    if playhead is not None:
        fig.add_vline(x=playhead, row="all", col=1, line={"color": "#d62728", "dash": "dot", "width": 1})
    fig.update_xaxes(range=[start, end], title_text="seconds", row=rows, col=1)
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05, height=sum(heights) + 40,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, dragmode="select", selectdirection="h",
                      legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"}, hovermode="closest")
    return fig


def _add_audio_rows(fig: go.Figure, audio: AudioRows) -> None:
    fig.add_trace(go.Scatter(x=audio.envelope_times, y=audio.envelope_max, mode="lines", line={"width": 0.5,
                             "color": "#555"}, name="waveform", showlegend=False, hoverinfo="skip"), row=2, col=1)
    fig.add_trace(go.Scatter(x=audio.envelope_times, y=audio.envelope_min, mode="lines", fill="tonexty",
                             line={"width": 0.5, "color": "#555"}, showlegend=False, hoverinfo="skip"), row=2, col=1)
    fig.update_yaxes(title_text="wave", showticklabels=False, fixedrange=True, row=2, col=1)
    fig.add_trace(go.Heatmap(x=audio.spectrogram_times, y=np.arange(len(audio.mel_hz)), z=audio.spectrogram_db,
                             colorscale="Magma", showscale=False, name="spectrogram",
                             customdata=np.broadcast_to(np.round(audio.mel_hz)[:, None], audio.spectrogram_db.shape),
                             hovertemplate="%{x:.2f} s · %{customdata} Hz · %{z:.0f} dB<extra></extra>"), row=3, col=1)
    fig.update_yaxes(title_text="mel", showticklabels=False, fixedrange=True, row=3, col=1)
