"""Correspondence: the model's internals of the latest run on the timeline's seconds axis: the event lanes, LCC
heatmap (full or banded), coherence and gates, CDP windows (predicted and effective) per level/head, and the attention
behind a chosen step, for a time window (an overview of a long video, the exact values of a short span); a picked
event is marked on every panel and explained ("Why this event?")."""

from pathlib import Path

import numpy as np
import streamlit as st

from loco.model.effective_window import level_effective_windows
from studio.explain import explain_event, probe_verdict, voice_sentence, weighs_voice, window_caption
from studio.probes import modality_probe
from studio.runs import run_voice_pitch, timeline_events
from studio.segments import shown_events
from studio.viz import attention_figure, internals_figure, token_at
from studio.viz.help import PANEL_HELP
from ui import common
from ui.internals import run_internals
from ui.lod import time_window
from ui.plotly_chart import ClickedPoint, plotly_chart

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

LANE_LAYERS = ("ground truth", "prediction", "corrected")
threshold, top_k = common.shown_proposals()
lanes = shown_events([e for e in timeline_events(common.store().current_events(video.video_id))
                      if e.layer in LANE_LAYERS], threshold, top_k)
by_id = {e.event_id: e for e in lanes}


def pick(event_id: int | None) -> None:
    """Select an event (None: none) and put the step at its middle, so the caption and the attention row are one of
    its tokens."""
    st.session_state[common.EVENT_KEY] = event_id
    if event_id in by_id:
        st.session_state["corr_time"] = (by_id[event_id].start + by_id[event_id].end) / 2


event_ids = [None] + [e.event_id for e in sorted(lanes, key=lambda e: (e.start, e.end))]
common.bind("corr_event", common.EVENT_KEY, event_ids, None)  # shows an event picked by a click or on another page
st.selectbox("Event", event_ids, key="corr_event", on_change=lambda: pick(st.session_state["corr_event"]),
             format_func=lambda i: "none" if i is None else
             f"{by_id[i].label} · {by_id[i].start:.2f}–{by_id[i].end:.2f} s · {by_id[i].layer}",
             help=f"The events of the lanes: ground truth, corrections and the predictions scoring at least "
                  f"{threshold:.2f} (top {top_k}), as on the Timeline. Clicking a bar picks it too.")
picked = by_id.get(st.session_state.get(common.EVENT_KEY))
selected = (picked.start, picked.end) if picked is not None else None
default_time = selected[0] if selected else float(grid.step_to_seconds(0))
chosen_time = st.session_state.get("corr_time", default_time)
st.session_state["corr_time"] = float(min(max(chosen_time, window[0]), window[1]))  # a step inside the window
step_time = st.slider("Step (seconds)", window[0], window[1], step=grid.hop_seconds, key="corr_time")
num_tokens = internals.cdp_left[level].shape[-1]
token = token_at(grid, level, step_time, num_tokens)

figure = internals_figure(internals, grid, level=level, head=head, direction=direction, token=token,
                          band=internals.lcc_band if banded else None, selected=selected, duration=video.duration,
                          window=window, events=lanes, class_order=common.store().class_names())


def pick_in_chart(points: list[ClickedPoint]) -> None:
    """A click on an event bar (customdata [event id, label, start, end, score, state]) picks the event; on a CDP
    step marker (customdata [token, left s, right s]) it moves the step slider there."""
    for point in points:
        data = point.customdata or []
        if len(data) == 6:
            pick(int(data[0]))
            return
        if len(data) == 3:
            st.session_state["corr_time"] = float(grid.step_to_seconds(int(data[0]) * 2**level))
            return


plotly_chart(figure, key="corr_chart", on_click=pick_in_chart)
first, last = level_effective_windows(internals.attention_maps[level][direction], head, tokens=np.array([token]))
st.caption(window_caption(token, level, head, (internals.cdp_left[level][head][token],
                                               internals.cdp_right[level][head][token]),
                          (first[0], last[0]), grid.level_stride_seconds(level)))
with st.expander("How to read these panels"):
    for panel in ("events", "correspondence", "curves", "windows", "attention"):
        st.markdown(PANEL_HELP[panel])
# a toggle, not an expander: a collapsed expander's chart would still be drawn, on every load of the page
if st.toggle("Attention matrix of this level, head and direction", key="corr_show_attention"):
    plotly_chart(attention_figure(internals, grid, level=level, head=head, direction=direction, token=token,
                                  window=window), key="corr_attention")

if picked is not None:
    st.subheader("Why this event?")
    st.caption(PANEL_HELP["why"].removeprefix("**Why this event?** "))
    probe_key = f"corr_probe_{run.run_id}"
    verdict = probe_verdict(picked.label, picked.start, picked.end, st.session_state[probe_key]) \
        if probe_key in st.session_state else None
    model_path = Path(run.checkpoint_path) if run.checkpoint_path else None
    width = common.load_model(model_path).config.postprocess.voice_pitch_width \
        if model_path is not None and model_path.is_file() else 0.0
    # the feature file is read only for a class the pitch weighs, not on every rerun of the page
    voice = voice_sentence(grid, picked.label, picked.start, picked.end, run_voice_pitch(run), width) \
        if weighs_voice(picked.label, width) else None
    explanation = explain_event(internals, grid, picked.label, picked.start, picked.end, level=level, head=head,
                                direction=direction, probe=verdict, voice=voice)
    st.markdown(f"**{common.plain(picked.label)}**, {picked.start:.2f}–{picked.end:.2f} s ({picked.layer}):")
    st.markdown("\n".join(f"- {sentence}" for sentence in explanation.sentences()))
    # no help= on the button: Streamlit would render it twice under one key
    if verdict is None and run.checkpoint_path and Path(run.checkpoint_path).is_file() and st.button(
            "Run the modality probe (the model again without the sound, then without the picture)", key="corr_probe"):
        with st.spinner("running the model with the sound, then the picture, blanked…"):
            st.session_state[probe_key] = modality_probe(common.load_model(Path(run.checkpoint_path)), run, 0.0)
        st.rerun()
