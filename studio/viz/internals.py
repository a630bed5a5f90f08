"""The model's internals on the timeline's seconds axis: LCC correspondence heatmap, coherence and gate curves, CDP
windows and attention rows. Steps and tokens become seconds through ``loco.grid`` only (step centres carry the 0.48 s
offset on the UnAV grid; a level-``l`` token ``i`` sits at step ``i * 2**l``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from loco.grid import FeatureGrid
from loco.model.internals import VideoInternals

DIRECTIONS = ("visual", "audio")
CURVES = (
    ("coherence_visual", "coherence v→a", "#1f77b4", "solid"),
    ("coherence_audio", "coherence a→v", "#ff7f0e", "solid"),
    ("gate_visual", "gate visual", "#1f77b4", "dot"),
    ("gate_audio", "gate audio", "#ff7f0e", "dot"),
)


def banded(matrix: np.ndarray, band: int) -> np.ndarray:
    """The matrix with everything outside the local band ``|t - s| <= band`` blanked (NaN draws as empty)."""
    rows, cols = np.indices(matrix.shape)
    return np.where(np.abs(rows - cols) <= band, matrix, np.nan)


def token_at(grid: FeatureGrid, level: int, seconds: float, num_tokens: int) -> int:
    """The level-``level`` token whose centre is nearest to ``seconds``."""
    token = int(round(float(grid.seconds_to_step(seconds)) / 2**level))
    return int(np.clip(token, 0, max(0, num_tokens - 1)))


def cdp_window_segments(left: np.ndarray, right: np.ndarray, grid: FeatureGrid, level: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """One horizontal line per token from ``t - δL`` to ``t + δR`` seconds, drawn at height ``t``: x and y arrays
    with NaN breaks, so a whole level is a single cheap trace. Extents are in tokens of that level."""
    left, right = np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64)
    centres = grid.level_token_times(level, left.shape[-1])
    span = grid.level_stride_seconds(level)
    xs = np.stack([centres - left * span, centres + right * span, np.full_like(centres, np.nan)], axis=1).ravel()
    ys = np.stack([centres, centres, np.full_like(centres, np.nan)], axis=1).ravel()
    return xs, ys


def _highlight(fig: go.Figure, selected: tuple[float, float] | None) -> None:
    if selected is not None:
        fig.add_vrect(x0=selected[0], x1=selected[1], row="all", col=1, fillcolor="#d62728", opacity=0.10,
                      line={"color": "#d62728", "width": 1})


def _correspondence_trace(internals: VideoInternals, grid: FeatureGrid, band: int | None) -> go.Heatmap:
    matrix = internals.correspondence
    times = grid.step_times(matrix.shape[0])
    z = banded(matrix, band) if band is not None else matrix
    return go.Heatmap(x=times, y=times, z=z, colorscale="RdBu_r", zmid=0.0, name="S",
                      colorbar={"len": 0.3, "y": 0.85, "title": {"text": "S"}},
                      hovertemplate="visual %{y:.2f} s · audio %{x:.2f} s<br>S = %{z:.3f}<extra></extra>")


def correspondence_figure(internals: VideoInternals, grid: FeatureGrid, *, band: int | None = None,
                          selected: tuple[float, float] | None = None, duration: float | None = None) -> go.Figure:
    """The LCC heatmap ``S`` (rows visual time, columns audio time, both in seconds); ``band`` shows only the local
    band that coherence is computed from."""
    if internals.correspondence is None:
        raise ValueError("this model has no LCC correspondence (LCC disabled)")
    fig = go.Figure(_correspondence_trace(internals, grid, band))
    _highlight(fig, selected)
    fig.update_xaxes(title_text="audio time (s)", range=[0, duration] if duration else None)
    fig.update_yaxes(title_text="visual time (s)", autorange="reversed")
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


def _curve_traces(internals: VideoInternals, grid: FeatureGrid) -> list[go.Scatter]:
    traces = []
    for attribute, name, colour, dash in CURVES:
        values = getattr(internals, attribute)
        if values is not None:
            traces.append(go.Scatter(x=grid.step_times(len(values)), y=values, name=name, mode="lines",
                                     line={"color": colour, "dash": dash, "width": 1.5},
                                     hovertemplate=f"{name}: %{{y:.3f}} at %{{x:.2f}} s<extra></extra>"))
    return traces


def curves_figure(internals: VideoInternals, grid: FeatureGrid, *, selected: tuple[float, float] | None = None,
                  duration: float | None = None) -> go.Figure:
    """Coherence (how much of each step's affinity stays local) and the gates it drives, per modality."""
    fig = go.Figure(_curve_traces(internals, grid))
    _highlight(fig, selected)
    fig.update_xaxes(title_text="seconds", range=[0, duration] if duration else None)
    fig.update_yaxes(range=[0, 1.05])
    fig.update_layout(height=220, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


def _window_trace(internals: VideoInternals, grid: FeatureGrid, level: int, head: int) -> list[go.Scatter]:
    left, right = internals.cdp_left[level][head], internals.cdp_right[level][head]
    xs, ys = cdp_window_segments(left, right, grid, level)
    centres = grid.level_token_times(level, left.shape[-1])
    span = grid.level_stride_seconds(level)
    return [
        go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#9467bd", "width": 2}, name=f"CDP window L{level} h{head}",
                   hoverinfo="skip"),
        go.Scatter(x=centres, y=centres, mode="markers", marker={"size": 4, "color": "#333"}, name="step",
                   customdata=np.stack([np.arange(len(centres)), left * span, right * span], axis=1),
                   hovertemplate="token %{customdata[0]} at %{x:.2f} s<br>left %{customdata[1]:.2f} s · "
                                 "right %{customdata[2]:.2f} s<extra></extra>"),
    ]


def _attention_row(internals: VideoInternals, grid: FeatureGrid, level: int, head: int, direction: str,
                   token: int) -> go.Scatter:
    weights = internals.attention[level][direction][head]
    times = grid.level_token_times(level, weights.shape[-1])
    return go.Scatter(x=times, y=weights[token], mode="lines", fill="tozeroy", line={"color": "#17becf"},
                      name=f"attention of token {token}",
                      hovertemplate="key %{x:.2f} s · weight %{y:.3f}<extra></extra>")


def attention_figure(internals: VideoInternals, grid: FeatureGrid, *, level: int, head: int, direction: str,
                     token: int | None = None) -> go.Figure:
    """The attention matrix of one level/head/direction (queries down, keys across, seconds on both), with the
    selected query token's row marked."""
    if direction not in internals.attention[level]:
        raise ValueError(f"direction must be one of {sorted(internals.attention[level])}, got {direction!r}")
    weights = internals.attention[level][direction][head]
    times = grid.level_token_times(level, weights.shape[-1])
    fig = go.Figure(go.Heatmap(x=times, y=times, z=weights, colorscale="Viridis", name="attention",
                               hovertemplate="query %{y:.2f} s · key %{x:.2f} s<br>%{z:.3f}<extra></extra>"))
    if token is not None:
        fig.add_hline(y=float(times[token]), line={"color": "#d62728", "width": 1})
    fig.update_xaxes(title_text="key time (s)")
    fig.update_yaxes(title_text="query time (s)", autorange="reversed")
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return fig


def internals_figure(
    internals: VideoInternals,
    grid: FeatureGrid,
    *,
    level: int = 0,
    head: int = 0,
    direction: str = "visual",
    token: int | None = None,
    band: int | None = None,
    selected: tuple[float, float] | None = None,
    duration: float | None = None,
) -> go.Figure:
    """All internals stacked on one shared seconds axis: heatmap, curves, CDP windows, attention row of ``token``."""
    has_lcc = internals.correspondence is not None
    titles = (["LCC correspondence S (visual ↓, audio →)", "coherence and gates"] if has_lcc else [])
    titles += [f"CDP windows, level {level}, head {head}", f"attention ({direction} stream updated)"]
    heights = ([0.42, 0.16] if has_lcc else []) + [0.26, 0.16]
    fig = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.04, subplot_titles=titles,
                        row_heights=[h / sum(heights) for h in heights])
    row = 1
    if has_lcc:
        fig.add_trace(_correspondence_trace(internals, grid, band), row=1, col=1)
        fig.update_yaxes(autorange="reversed", title_text="visual s", row=1, col=1)
        for trace in _curve_traces(internals, grid):
            fig.add_trace(trace, row=2, col=1)
        fig.update_yaxes(range=[0, 1.05], row=2, col=1)
        row = 3
    for trace in _window_trace(internals, grid, level, head):
        fig.add_trace(trace, row=row, col=1)
    fig.update_yaxes(autorange="reversed", title_text="query s", row=row, col=1)
    num_tokens = internals.cdp_left[level].shape[-1]
    token = 0 if token is None else int(np.clip(token, 0, num_tokens - 1))
    fig.add_trace(_attention_row(internals, grid, level, head, direction, token), row=row + 1, col=1)
    fig.add_vline(x=float(grid.level_token_times(level, token + 1)[token]), row="all", col=1,
                  line={"color": "#333", "dash": "dot", "width": 1})
    _highlight(fig, selected)
    fig.update_xaxes(range=[0, duration] if duration else None, row=len(titles), col=1, title_text="seconds")
    fig.update_layout(height=260 * len(titles), margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      legend={"orientation": "h", "y": -0.05}, hovermode="closest")
    return fig
