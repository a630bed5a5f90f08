"""Plotly figures drawn by a light custom component (``ui/frontend/src/chart``, built into ``ui/frontend/dist/chart``).

``st.plotly_chart`` loads the whole of plotly.js (4.8 MB: 3-D, maps, WebGL traces) before its first chart: in
headless Chromium on a 2-core machine that alone took 1.6-2.0 s, and the Correspondence page's first chart came
4.9-6.4 s after navigation, past the page's 4 s goal. The component's plotly.js holds the three trace types the
pages draw (scatter, bar, heatmap; 1.2 MB) and loads in about 0.3 s. A click on a point comes back as the clicked
points' trace names and customdata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import plotly.graph_objects as go
import plotly.io
import streamlit as st
import streamlit.components.v1 as components

BUILD = Path(__file__).resolve().parent / "frontend" / "dist" / "chart"
DRAWN_MARK = "chart drawn"  # the performance mark the frame sets once its first figure is drawn (src/chart/main.js)
# What st.plotly_chart's Streamlit theme gave the figures (the figures' own template holds that theme's placeholder
# colours, which only Streamlit's own chart fills in): plotly's white template, with labels in the page's greys and
# margins that grow to fit the axis labels.
TEXT_GREY, FAINT_GREY = "#31333f", "#808495"
TEMPLATE = go.layout.Template(plotly.io.templates["plotly_white"]).update(layout={  # a copy: the original stays
    "font": {"family": '"Source Sans Pro", "Source Sans 3", sans-serif', "color": FAINT_GREY, "size": 13},
    "title": {"font": {"color": TEXT_GREY}},
    "legend": {"font": {"color": TEXT_GREY}},
    "xaxis": {"automargin": True},
    "yaxis": {"automargin": True},
}, overwrite=False).to_plotly_json()


@dataclass(frozen=True)
class ClickedPoint:
    trace: str | None  # the clicked trace's name
    customdata: list[Any] | None  # the point's customdata, as the figure gave it


@st.cache_resource(show_spinner=False)
def _component() -> Callable[..., object]:
    """Declared at the first script run, not at import: Streamlit serves only components declared inside a run."""
    return components.declare_component("plotly_chart", path=str(BUILD))


def clicked_points(key: str) -> list[ClickedPoint]:
    """The points of the chart's last click (none before the first)."""
    message = st.session_state.get(key)
    points = message.get("points", []) if isinstance(message, dict) else []
    return [ClickedPoint(point.get("trace"), point.get("customdata")) for point in points]


def plotly_chart(figure: go.Figure, *, key: str, on_click: Callable[[list[ClickedPoint]], None] | None = None) -> None:
    """Draw ``figure`` (its layout's height is the frame's); ``on_click`` gets the clicked points, once per click,
    before the page is drawn again."""
    spec = figure.to_plotly_json()
    spec["layout"]["template"] = TEMPLATE
    _component()(figure=plotly.io.to_json(spec, validate=False), key=key, default=None,
                 on_change=(lambda: on_click(clicked_points(key))) if on_click else None)
