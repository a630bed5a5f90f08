"""The model's internals on the timeline's seconds axis: LCC correspondence heatmap, coherence and gate curves, CDP
windows and attention rows. Steps and tokens become seconds through ``loco.grid`` only (step centres carry the 0.48 s
offset on the UnAV grid; a level-``l`` token ``i`` sits at step ``i * 2**l``).

Levels of detail: every figure shows a time ``window`` (seconds; the whole video by default) and stays bounded
whatever the video's length: heatmaps at most :data:`MAX_CELLS` cells per axis (exact when the window holds no more
steps, block means beyond), curves at most :data:`MAX_CURVE_POINTS` points (min/max per bucket, so peaks survive),
and at most :data:`MAX_WINDOW_TOKENS` CDP windows and :data:`MAX_STEP_MARKERS` clickable steps (every k-th token of
a long span).

Events: :func:`internals_figure` can draw the event lanes of the Timeline above the internals, on the same axis, and
a selected span (an event picked there) on every panel: its block of ``S``, its steps on the curves, the windows of
the tokens inside it. Beside each token's predicted CDP window it draws the effective window, the keys holding
:data:`loco.model.effective_window.EFFECTIVE_MASS` of the attention the model applied.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from loco.grid import FeatureGrid
from loco.model.effective_window import EFFECTIVE_MASS, level_effective_windows
from loco.model.internals import VideoInternals
from studio.viz.timeline import LAYERS, TimelineEvent, _layer_trace, lane_order, visible_events

DIRECTIONS = ("visual", "audio")
CURVES = (
    ("coherence_visual", "coherence v→a", "#1f77b4", "solid"),
    ("coherence_audio", "coherence a→v", "#ff7f0e", "solid"),
    ("gate_visual", "gate visual", "#1f77b4", "dot"),
    ("gate_audio", "gate audio", "#ff7f0e", "dot"),
)
# The caps follow the panels' size in pixels (about 700 wide; 400, 230 and 130 high): the browser draws every cell,
# point and marker it is sent, and each more than the pixels can show adds to the wait for the first chart (the
# heatmap's cells most: ~0.25 s per 90,000 in Chromium on a 2-core machine).
MAX_CELLS = 200  # exact up to 64 s of steps: a whole UnAV-100 video
MAX_CURVE_POINTS = 1200  # 600 min/max pairs: about two pixels each
MAX_WINDOW_TOKENS = 400  # about two per pixel row of the windows panel
MAX_STEP_MARKERS = 200  # clickable step markers: each one is an SVG element
SELECTED = "#d62728"
EFFECTIVE = "#bcbd22"  # olive: apart from the curves' orange
LANE_PX = 30
# Margins fixed from the labels instead of plotly's axis automargins, which draw the five panels a second time once
# the labels are measured: in the page, in headless Chromium here, the 10-minute figure drew in 0.85 s with them, 0.52 s
# without.
LABEL_PX_PER_CHAR = 7  # the page's 13 px sans-serif, a little wide
NUMBER_AXIS_PX = 70  # tick numbers up to 5 digits and the axis title beside them

Window = tuple[float, float]
"""A time span in seconds, ``(start, end)``."""


def token_span(grid: FeatureGrid, level: int, window: Window | None, num_tokens: int) -> tuple[int, int]:
    """Tokens ``start .. stop-1`` of a level whose centres lie in ``window`` (at least the nearest one)."""
    if window is None:
        return 0, num_tokens
    first = int(np.ceil(float(grid.seconds_to_step(window[0])) / 2**level - 1e-9))
    last = int(np.floor(float(grid.seconds_to_step(window[1])) / 2**level + 1e-9))
    first, last = int(np.clip(first, 0, num_tokens - 1)), int(np.clip(last, 0, num_tokens - 1))
    return first, max(first, last) + 1


def banded(matrix: np.ndarray, band: int, steps: np.ndarray | None = None) -> np.ndarray:
    """The matrix with everything outside the local band ``|t - s| <= band`` blanked (NaN draws as empty); for a
    pooled matrix (``steps`` its cells' centre steps, spaced more than one step) a cell stays when its centres are
    within ``band`` or one cell."""
    steps = np.arange(matrix.shape[0]) if steps is None else np.asarray(steps, dtype=np.float64)
    spacing = float(steps[1] - steps[0]) if len(steps) > 1 else 1.0
    reach = band if spacing <= 1 else max(band, spacing)
    return np.where(np.abs(steps[:, None] - steps[None, :]) <= reach, matrix, np.nan)


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of a curve: the minimum and the maximum of each bucket, in time order."""
    if len(x) <= max_points:
        return x, y
    edges = np.linspace(0, len(x), max_points // 2 + 1).astype(int)
    lows, highs = np.minimum.reduceat(y, edges[:-1]), np.maximum.reduceat(y, edges[:-1])
    centres = x[(edges[:-1] + edges[1:]) // 2]
    return np.repeat(centres, 2), np.stack((lows, highs), axis=1).ravel()


def token_at(grid: FeatureGrid, level: int, seconds: float, num_tokens: int) -> int:
    """The level-``level`` token whose centre is nearest to ``seconds``."""
    token = int(round(float(grid.seconds_to_step(seconds)) / 2**level))
    return int(np.clip(token, 0, max(0, num_tokens - 1)))


def cdp_window_segments(left: np.ndarray, right: np.ndarray, grid: FeatureGrid, level: int,
                        tokens: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One horizontal line per token from ``t - δL`` to ``t + δR`` seconds, drawn at height ``t``: x and y arrays
    with NaN breaks, so a whole level is a single cheap trace. Extents are in tokens of that level; ``tokens`` are
    the token indices of ``left``/``right`` (all of the level by default)."""
    left, right = np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64)
    tokens = np.arange(left.shape[-1]) if tokens is None else tokens
    centres = grid.step_to_seconds(tokens * 2**level)
    span = grid.level_stride_seconds(level)
    xs = np.stack([centres - left * span, centres + right * span, np.full_like(centres, np.nan)], axis=1).ravel()
    ys = np.stack([centres, centres, np.full_like(centres, np.nan)], axis=1).ravel()
    return xs, ys


def _highlight(fig: go.Figure, selected: Window | None) -> None:
    if selected is not None:
        fig.add_vrect(x0=selected[0], x1=selected[1], row="all", col=1, fillcolor="#d62728", opacity=0.10,
                      line={"color": "#d62728", "width": 1})


def _correspondence_trace(internals: VideoInternals, grid: FeatureGrid, band: int | None,
                          window: Window | None) -> go.Heatmap:
    start, stop = token_span(grid, 0, window, internals.num_steps)
    steps, matrix = internals.correspondence_block(start, stop, MAX_CELLS)
    times = grid.step_to_seconds(steps)
    z = banded(matrix, band, steps) if band is not None else matrix
    return go.Heatmap(x=times, y=times, z=z.astype(np.float32), colorscale="RdBu_r", zmid=0.0, name="S",
                      colorbar={"len": 0.3, "y": 0.85, "title": {"text": "S"}},
                      hovertemplate="visual %{y:.2f} s · audio %{x:.2f} s<br>S = %{z:.3f}<extra></extra>")


def _x_range(window: Window | None, duration: float | None) -> list[float] | None:
    if window is not None:
        return list(window)
    return [0, duration] if duration else None


def correspondence_figure(internals: VideoInternals, grid: FeatureGrid, *, band: int | None = None,
                          selected: Window | None = None, duration: float | None = None,
                          window: Window | None = None) -> go.Figure:
    """The LCC heatmap ``S`` (rows visual time, columns audio time, both in seconds) over ``window``; ``band`` shows
    only the local band that coherence is computed from."""
    if not internals.has_lcc:
        raise ValueError("this model has no LCC correspondence (LCC disabled)")
    fig = go.Figure(_correspondence_trace(internals, grid, band, window))
    _highlight(fig, selected)
    fig.update_xaxes(title_text="audio time (s)", range=_x_range(window, duration))
    fig.update_yaxes(title_text="visual time (s)", autorange="reversed")
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


def _curve_traces(internals: VideoInternals, grid: FeatureGrid, window: Window | None) -> list[go.Scatter]:
    start, stop = token_span(grid, 0, window, internals.num_steps)
    times = grid.step_times(internals.num_steps)[start:stop]
    traces = []
    for attribute, name, colour, dash in CURVES:
        values = getattr(internals, attribute)
        if values is not None:
            x, y = decimate(times, values[start:stop])
            traces.append(go.Scatter(x=x, y=y.astype(np.float32), name=name, mode="lines",
                                     line={"color": colour, "dash": dash, "width": 1.5},
                                     hovertemplate=f"{name}: %{{y:.3f}} at %{{x:.2f}} s<extra></extra>"))
    return traces


def curves_figure(internals: VideoInternals, grid: FeatureGrid, *, selected: Window | None = None,
                  duration: float | None = None, window: Window | None = None) -> go.Figure:
    """Coherence (how much of each step's affinity stays local) and the gates it drives, per modality."""
    fig = go.Figure(_curve_traces(internals, grid, window))
    _highlight(fig, selected)
    fig.update_xaxes(title_text="seconds", range=_x_range(window, duration))
    fig.update_yaxes(range=[0, 1.05])
    fig.update_layout(height=220, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


def _window_trace(internals: VideoInternals, grid: FeatureGrid, level: int, head: int, direction: str,
                  window: Window | None) -> list[go.Scatter]:
    start, stop = token_span(grid, level, window, internals.cdp_left[level].shape[-1])
    tokens = np.arange(start, stop, max(1, -(-(stop - start) // MAX_WINDOW_TOKENS)))
    left, right = internals.cdp_left[level][head][tokens], internals.cdp_right[level][head][tokens]
    xs, ys = cdp_window_segments(left, right, grid, level, tokens)
    first, last = level_effective_windows(internals.attention_maps[level][direction], head, tokens=tokens)
    effective_xs, effective_ys = cdp_window_segments(-first, last, grid, level, tokens)
    marked = np.arange(len(tokens))[:: max(1, -(-len(tokens) // MAX_STEP_MARKERS))]
    centres = grid.step_to_seconds(tokens[marked] * 2**level)
    span = grid.level_stride_seconds(level)
    return [  # thin effective windows over thick predicted ones, so both show where they overlap
        go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#9467bd", "width": 3}, name=f"CDP window L{level} h{head}",
                   hoverinfo="skip"),
        go.Scatter(x=effective_xs, y=effective_ys + 0.35 * span, mode="lines", line={"color": EFFECTIVE, "width": 1.5},
                   name=f"effective window ({EFFECTIVE_MASS:.0%} of the attention)", hoverinfo="skip"),
        go.Scatter(x=centres, y=centres, mode="markers", marker={"size": 4, "color": "#333"}, name="step",
                   customdata=np.stack([tokens[marked], left[marked] * span, right[marked] * span], axis=1),
                   hovertemplate="token %{customdata[0]} at %{x:.2f} s<br>left %{customdata[1]:.2f} s · "
                                 "right %{customdata[2]:.2f} s<extra></extra>"),
    ]


def _attention_row(internals: VideoInternals, grid: FeatureGrid, level: int, head: int, direction: str,
                   token: int, window: Window | None) -> go.Scatter:
    maps = internals.attention_maps[level][direction]
    keys, weights = maps.row(head, token)
    start, stop = token_span(grid, level, window, maps.num_tokens)
    shown = (keys >= start) & (keys < stop)
    x, y = decimate(grid.step_to_seconds(keys[shown] * 2**level), weights[shown])
    return go.Scatter(x=x, y=y.astype(np.float32), mode="lines", fill="tozeroy", line={"color": "#17becf"},
                      name=f"attention of token {token}",
                      hovertemplate="key %{x:.2f} s · weight %{y:.3f}<extra></extra>")


def attention_figure(internals: VideoInternals, grid: FeatureGrid, *, level: int, head: int, direction: str,
                     token: int | None = None, window: Window | None = None) -> go.Figure:
    """The attention matrix of one level/head/direction over ``window`` (queries down, keys across, seconds on
    both), with the selected query token's row marked."""
    if direction not in internals.attention_maps[level]:
        raise ValueError(f"direction must be one of {sorted(internals.attention_maps[level])}, got {direction!r}")
    maps = internals.attention_maps[level][direction]
    start, stop = token_span(grid, level, window, maps.num_tokens)
    tokens, weights = maps.block(head, start, stop, MAX_CELLS)
    times = grid.step_to_seconds(tokens * 2**level)
    fig = go.Figure(go.Heatmap(x=times, y=times, z=weights.astype(np.float32), colorscale="Viridis", name="attention",
                               hovertemplate="query %{y:.2f} s · key %{x:.2f} s<br>%{z:.3f}<extra></extra>"))
    if token is not None:
        fig.add_hline(y=float(grid.step_to_seconds(token * 2**level)), line={"color": "#d62728", "width": 1})
    fig.update_xaxes(title_text="key time (s)")
    fig.update_yaxes(title_text="query time (s)", autorange="reversed")
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


PANEL_TITLES = {
    "events": "events (click a bar to pick it)",
    "correspondence": "LCC correspondence S (visual ↓, audio →)",
    "curves": "coherence and gates",
}
PANEL_PX = {"correspondence": 437, "curves": 166, "windows": 270, "attention": 166}


def _lane_traces(events: Sequence[TimelineEvent], window: Window | None, duration: float | None) -> list[go.Bar]:
    """The Timeline's bars (event id in ``customdata[0]``) of the events overlapping the span shown."""
    if window is not None or duration:
        events = visible_events(events, *(window or (0.0, duration)))
    return [_layer_trace([e for e in events if e.layer == layer], layer, colour) for layer, colour in LAYERS.items()
            if any(e.layer == layer for e in events)]


def _selected_steps_trace(internals: VideoInternals, grid: FeatureGrid, selected: Window) -> go.Scatter:
    """Markers on every curve at the steps of the selected span."""
    start, stop = token_span(grid, 0, selected, internals.num_steps)
    steps = np.arange(start, stop, max(1, -(-(stop - start) // MAX_CURVE_POINTS)))  # every k-th of a long event
    times = grid.step_to_seconds(steps)
    curves = [getattr(internals, attribute)[steps] for attribute, *_ in CURVES
              if getattr(internals, attribute) is not None]
    return go.Scatter(x=np.tile(times, len(curves)), y=np.concatenate(curves).astype(np.float32), mode="markers",
                      marker={"color": SELECTED, "size": 5}, name="event steps",
                      hovertemplate="%{y:.3f} at %{x:.2f} s<extra>event steps</extra>")


def _selected_windows_trace(internals: VideoInternals, grid: FeatureGrid, selected: Window, level: int,
                            head: int) -> go.Scatter:
    """The predicted windows of the tokens inside the selected span, drawn over the level's."""
    start, stop = token_span(grid, level, selected, internals.cdp_left[level].shape[-1])
    tokens = np.arange(start, stop, max(1, -(-(stop - start) // MAX_WINDOW_TOKENS)))
    xs, ys = cdp_window_segments(internals.cdp_left[level][head][tokens], internals.cdp_right[level][head][tokens],
                                 grid, level, tokens)
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": SELECTED, "width": 3}, name="event's windows",
                      hoverinfo="skip")


def internals_figure(
    internals: VideoInternals,
    grid: FeatureGrid,
    *,
    level: int = 0,
    head: int = 0,
    direction: str = "visual",
    token: int | None = None,
    band: int | None = None,
    selected: Window | None = None,
    duration: float | None = None,
    window: Window | None = None,
    events: Sequence[TimelineEvent] = (),
    class_order: Sequence[str] | None = None,
) -> go.Figure:
    """All internals over ``window`` stacked on one shared seconds axis: the lanes of ``events`` (when given),
    heatmap, curves, CDP windows with the effective ones, attention row of ``token``; the ``selected`` span is marked
    on every panel (its block of S, its steps on the curves, the windows of its tokens)."""
    has_lcc = internals.has_lcc
    lanes = lane_order(events, class_order)
    panels = (["events"] if lanes else []) + (["correspondence", "curves"] if has_lcc else []) + ["windows",
                                                                                                  "attention"]
    titles = {**PANEL_TITLES, "windows": f"CDP windows, level {level}, head {head}",
              "attention": f"attention ({direction} stream updated)"}
    pixels = {**PANEL_PX, "events": LANE_PX * len(lanes) + 40}
    row = {panel: index + 1 for index, panel in enumerate(panels)}
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[titles[p] for p in panels],
                        row_heights=[pixels[p] / sum(pixels[p] for p in panels) for p in panels])
    if lanes:
        for trace in _lane_traces(events, window, duration):
            fig.add_trace(trace, row=1, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=lanes[::-1], type="category", fixedrange=True,
                         range=[-0.5, len(lanes) - 0.5], row=1, col=1)
    if has_lcc:
        fig.add_trace(_correspondence_trace(internals, grid, band, window), row=row["correspondence"], col=1)
        fig.update_yaxes(autorange="reversed", title_text="visual s", row=row["correspondence"], col=1)
        for trace in _curve_traces(internals, grid, window):
            fig.add_trace(trace, row=row["curves"], col=1)
        fig.update_yaxes(range=[0, 1.05], row=row["curves"], col=1)
    for trace in _window_trace(internals, grid, level, head, direction, window):
        fig.add_trace(trace, row=row["windows"], col=1)
    fig.update_yaxes(autorange="reversed", title_text="query s", row=row["windows"], col=1)
    num_tokens = internals.cdp_left[level].shape[-1]
    token = 0 if token is None else int(np.clip(token, 0, num_tokens - 1))
    fig.add_trace(_attention_row(internals, grid, level, head, direction, token, window), row=row["attention"], col=1)
    centre, span = float(grid.step_to_seconds(token * 2**level)), grid.level_stride_seconds(level)
    first, last = level_effective_windows(internals.attention_maps[level][direction], head, tokens=np.array([token]))
    fig.add_vrect(x0=centre + first[0] * span, x1=centre + last[0] * span, row=row["attention"], col=1,
                  fillcolor=EFFECTIVE, opacity=0.15, line_width=0)
    fig.add_vline(x=centre, row="all", col=1, line={"color": "#333", "dash": "dot", "width": 1})
    _highlight(fig, selected)
    if selected is not None:
        if has_lcc:
            fig.add_shape(type="rect", x0=selected[0], x1=selected[1], y0=selected[0], y1=selected[1],
                          row=row["correspondence"], col=1, line={"color": SELECTED, "width": 2}, name="event block")
            fig.add_trace(_selected_steps_trace(internals, grid, selected), row=row["curves"], col=1)
        fig.add_trace(_selected_windows_trace(internals, grid, selected, level, head), row=row["windows"], col=1)
    fig.update_xaxes(range=_x_range(window, duration), row=len(panels), col=1, title_text="seconds")
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    left = max([NUMBER_AXIS_PX] + [LABEL_PX_PER_CHAR * len(lane) + 16 for lane in lanes])
    fig.update_layout(height=sum(pixels[p] for p in panels), margin={"l": left, "r": 10, "t": 30, "b": 40},
                      legend={"orientation": "h", "y": -0.05}, hovermode="closest", barmode="group", bargap=0.25,
                      bargroupgap=0.05)
    return fig
