"""Correspondence: the model's internals of the latest run on the timeline's seconds axis: LCC heatmap (full or
banded), coherence and gates, CDP windows per level/head, and the attention behind a chosen step, for a time window
(an overview of a long video, the exact values of a short span)."""

import streamlit as st

from studio.viz import attention_figure, internals_figure, token_at
from ui import common
from ui.internals import run_internals
from ui.lod import time_window

st.header("Correspondence and attention")
video = common.require_video()
run = common.run_for(video)
loaded = run_internals(run)
if loaded is None:
    st.info("This video has no model run with internals yet: run Detect on it.")
    st.stop()
internals, grid = loaded
st.caption(f"Run {run.run_id} · model {run.model_version} · profile {run.profile}")

c1, c2, c3, c4 = st.columns(4)
level = c1.selectbox("Pyramid level", range(len(internals.cdp_left)), key="corr_level",
                     format_func=lambda l: f"{l} (token = {grid.level_stride_seconds(l):.2f} s)")
head = c2.selectbox("Head", range(internals.cdp_left[level].shape[0]), key="corr_head")
directions = sorted(internals.attention_maps[level])
direction = c3.radio("Stream updated", directions, horizontal=True, key="corr_direction")
banded = c4.toggle("Banded view of S", value=False, key="corr_banded",
                   disabled=not internals.has_lcc, help=f"|t − s| ≤ {internals.lcc_band} steps")
window = time_window("corr_window", video.duration)

selected_id = st.session_state.get(common.EVENT_KEY)
selected = None
if selected_id is not None:
    try:
        event = common.store().event(selected_id)
        selected = (event.start, event.end) if event.video_id == video.video_id else None
    except ValueError:
        selected = None
default_time = selected[0] if selected else float(grid.step_to_seconds(0))
chosen_time = st.session_state.get("corr_time", default_time)
st.session_state["corr_time"] = float(min(max(chosen_time, window[0]), window[1]))  # a step inside the window
step_time = st.slider("Step (seconds)", window[0], window[1], step=grid.hop_seconds, key="corr_time")
num_tokens = internals.cdp_left[level].shape[-1]
token = token_at(grid, level, step_time, num_tokens)

figure = internals_figure(internals, grid, level=level, head=head, direction=direction, token=token,
                          band=internals.lcc_band if banded else None, selected=selected, duration=video.duration,
                          window=window)


def pick_step() -> None:
    """A click on a CDP step marker (customdata [token, left s, right s]) moves the step slider there."""
    points = [p for p in st.session_state["corr_chart"].selection.points if len(p.get("customdata") or []) == 3]
    if points:
        st.session_state["corr_time"] = float(grid.step_to_seconds(int(points[0]["customdata"][0]) * 2**level))


st.plotly_chart(figure, on_select=pick_step, selection_mode="points", key="corr_chart")
left_s = internals.cdp_left[level][head][token] * grid.level_stride_seconds(level)
right_s = internals.cdp_right[level][head][token] * grid.level_stride_seconds(level)
st.caption(f"Token {token} of level {level}: window {left_s:.2f} s to the left, {right_s:.2f} s to the right.")
with st.expander("Attention matrix of this level, head and direction"):
    st.plotly_chart(attention_figure(internals, grid, level=level, head=head, direction=direction, token=token,
                                     window=window), key="corr_attention")
