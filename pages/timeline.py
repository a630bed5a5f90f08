"""Timeline: one lane per class with ground truth, predictions and corrections as layers, the waveform and
spectrogram on the same axis, the player with the events as subtitles, and frames at the selected segment's edges."""

import hashlib
from pathlib import Path

import streamlit as st

from storage.formats.subtitles import dump_webvtt
from studio.runs import timeline_events
from studio.segments import shown_events
from studio.uploads import video_mime
from studio.viz import LAYERS, timeline_figure
from ui import common

st.header("Timeline")
video = common.require_video()
store = common.store()
run = common.run_for(video)

left, middle, right = st.columns([2, 1, 2])
threshold, top_k = common.proposal_controls(left, middle)
layers = right.multiselect("Layers", list(LAYERS), default=["ground truth", "prediction", "corrected"],
                           key="timeline_layers")

events = [e for e in timeline_events(store.current_events(video.video_id)) if e.layer in layers]
shown = shown_events(events, threshold, top_k)
selected_id = st.session_state.get(common.EVENT_KEY)
selected = next((e for e in shown if e.event_id == selected_id), None)

media = video.stored_path
audio = common.audio_rows(media) if media and Path(media).is_file() else None
figure = timeline_figure(shown, video.duration, class_order=store.class_names(),
                         selected_event_id=selected.event_id if selected else None, audio=audio)


st.plotly_chart(figure, on_select=common.remember_chart_selection("timeline_chart"), selection_mode=("points", "box"),
                key="timeline_chart")
box = st.session_state.get(common.BOX_KEY)
if box:
    st.caption(f"Box selection {min(box):.2f}–{max(box):.2f} s: add it as an event on the Correct page.")
st.caption(f"{len(shown)} of {len(events)} events shown · threshold {threshold:.2f} · top-{int(top_k)} predictions")

if shown:
    order = sorted(shown, key=lambda e: e.start)
    ids = [e.event_id for e in order]
    on_jump = common.bind("timeline_jump", common.EVENT_KEY, ids, ids[0])
    st.selectbox("Jump to segment", ids, key="timeline_jump", on_change=on_jump,
                 format_func=lambda i: next(f"{e.label} · {e.start:.2f}–{e.end:.2f} s · {e.layer}"
                                            for e in order if e.event_id == i))

if media and Path(media).is_file():
    subtitles = dump_webvtt(shown)  # exactly the events shown above: the threshold, top-k and layers apply
    # A player of its own per video and subtitle track: a reused one kept the previous video's track on screen.
    with st.container(key=f"player_{video.video_id}_{hashlib.sha256(subtitles.encode()).hexdigest()[:12]}"):
        st.video(media, format=video_mime(video.container), start_time=int(selected.start) if selected else 0,
                 subtitles={"Events": subtitles})
    st.caption(f"Subtitles: the {len(shown)} event{'s' if len(shown) != 1 else ''} shown above, with their scores.")
    if selected is not None:
        fps = video.fps or store.grid.fps
        times = [selected.start, selected.start + 1 / fps, selected.end - 1 / fps, selected.end]
        frames = common.boundary_frames(media, tuple(times))
        st.image(frames, caption=[f"start {times[0]:.2f} s", f"+1 frame {times[1]:.2f} s", f"−1 frame {times[2]:.2f} s",
                                  f"end {times[3]:.2f} s"], width=160)
else:
    st.info("The video file is not available on this server (imported annotations only).")
