"""Timeline: one lane per class with ground truth, predictions and corrections as layers, the waveform and
spectrogram on the same axis as the player (the timeline editor, read-only: select and play) with the events as
subtitles, and frames at the selected segment's edges."""

from pathlib import Path

import streamlit as st

from storage.formats.subtitles import dump_webvtt
from studio.runs import timeline_events
from studio.segments import shown_events
from studio.viz import LAYERS
from studio.viz.editor import editor_view
from ui import common
from ui.timeline_editor import audio_of, timeline_editor

st.header("Timeline")
video = common.require_video()
store = common.store()
run = common.run_for(video)

left, middle, right = st.columns([2, 1, 2])
threshold, top_k = common.proposal_controls(left, middle)
layers = right.multiselect("Layers", list(LAYERS), default=["ground truth", "prediction", "corrected"],
                           key="timeline_layers")

current = store.current_events(video.video_id)
events = [e for e in timeline_events(current) if e.layer in layers]
shown = shown_events(events, threshold, top_k)
selected_id = st.session_state.get(common.EVENT_KEY)
selected = next((e for e in shown if e.event_id == selected_id), None)

media = video.stored_path
playable = bool(media and Path(media).is_file())
fps = video.fps or store.grid.fps
by_id = {e.event_id: e for e in current}
subtitles = dump_webvtt(shown)  # exactly the events shown: the threshold, top-k and layers apply
timeline_editor(editor_view([by_id[e.event_id] for e in shown], video.duration, fps=fps, grid=store.grid,
                            classes=store.class_names(), audio=audio_of(video)),
                key="timeline_editor", video=video, subtitles=subtitles if playable else None)
st.caption(f"{len(shown)} of {len(events)} events shown · threshold {threshold:.2f} · top-{int(top_k)} predictions")

if shown:
    order = sorted(shown, key=lambda e: e.start)
    ids = [e.event_id for e in order]
    on_jump = common.bind("timeline_jump", common.EVENT_KEY, ids, ids[0])
    st.selectbox("Jump to segment", ids, key="timeline_jump", on_change=on_jump,
                 format_func=lambda i: next(f"{e.label} · {e.start:.2f}–{e.end:.2f} s · {e.layer}"
                                            for e in order if e.event_id == i))

if playable:
    st.caption(f"Subtitles: the {len(shown)} event{'s' if len(shown) != 1 else ''} shown above, with their scores.")
    if selected is not None:
        times = [selected.start, selected.start + 1 / fps, selected.end - 1 / fps, selected.end]
        frames = common.boundary_frames(media, tuple(times))
        st.image(frames, width=160, caption=[f"start {times[0]:.2f} s", f"+1 frame {times[1]:.2f} s",
                                             f"−1 frame {times[2]:.2f} s", f"end {times[3]:.2f} s"])
else:
    st.info("The video file is not available on this server (imported annotations only).")
