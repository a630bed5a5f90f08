"""Levels of detail on the pages: the time window a page shows. The figures built for a window stay bounded whatever
the video's length (``studio.viz``), so a two-hour video gets an overview first and the detail of the span chosen."""

from __future__ import annotations

import streamlit as st

Window = tuple[float, float]


def time_window(key: str, duration: float, label: str = "Time window (s)") -> Window:
    """A range slider over the video, the whole of it by default."""
    duration = float(duration)
    step = 0.04 if duration <= 120 else 0.5 if duration <= 1800 else 1.0
    start, end = st.slider(label, 0.0, duration, (0.0, duration), step=step, key=key,
                           help="The span the charts show: an overview of a long video, the detail of a short span")
    return float(start), float(max(end, start + step))
