"""Beyond the anchors: a review queue ranking the predictions that most need a person (uncertain scores, and
confident events where sound and picture disagree according to the LCC coherence), and a modality probe (re-run with
the audio or the video blanked: which events depend on which stream)."""

from pathlib import Path

import pandas as pd
import streamlit as st

from studio.probes import modality_probe
from studio.review import rank_for_review
from ui import common
from ui.internals import run_internals

st.header("Review queue & modality probes")
video = common.require_video()
store = common.store()
run = common.run_for(video)

st.subheader("Review queue")
weight = st.slider("Weight of audio-visual disagreement (vs. score uncertainty)", 0.0, 1.0, 0.5, 0.05,
                   key="review_weight")
proposed = store.current_events(video.video_id, states=["proposed"])
coherence_visual = coherence_audio = None
grid = store.grid
loaded = run_internals(run)
if loaded is not None:
    internals, grid = loaded
    coherence_visual, coherence_audio = internals.coherence_visual, internals.coherence_audio
queue = rank_for_review(proposed, grid, coherence_visual, coherence_audio, weight)
if not queue:
    st.info("Nothing to review: no proposed (unreviewed) predictions on this video.")
else:
    if coherence_visual is None:
        st.caption("No LCC coherence for this run: ranked by score uncertainty only.")
    top = queue[:50]
    st.dataframe(pd.DataFrame([{"event": i.event_id, "label": i.label, "start": round(i.start, 2),
                                "end": round(i.end, 2), "score": round(i.score, 3),
                                "coherence": None if i.coherence is None else round(i.coherence, 3),
                                "priority": round(i.priority, 3), "why": i.reason} for i in top]), hide_index=True)
    ids = [i.event_id for i in top]
    pick = st.selectbox("Review this event", ids, key="review_pick",
                        format_func=lambda i: next(f"#{q.event_id} {q.label} {q.start:.2f}–{q.end:.2f} s"
                                                   for q in top if q.event_id == i))
    if st.button("Open in Correct", key="review_open"):
        st.session_state[common.EVENT_KEY] = pick
        st.switch_page("pages/correct.py")

st.subheader("Modality probe")
if run is None:
    st.info("Run Detect on this video first: the probe re-uses its cached features.")
else:
    min_score = st.slider("Probe events scoring at least", 0.0, 1.0, 0.1, 0.01, key="probe_min_score")
    if st.button("Run the probe", key="probe_go"):
        try:
            with st.spinner("running the model three times (full, no audio, no video)…"):
                rows = modality_probe(common.load_model(Path(run.checkpoint_path)), run, min_score)
            if not rows:
                st.info("No event scores above the threshold.")
            else:
                table = pd.DataFrame([{"label": r.label, "start": round(r.start, 2), "end": round(r.end, 2),
                                       "score": round(r.score, 3), "without audio": round(r.score_without_audio, 3),
                                       "without video": round(r.score_without_visual, 3), "depends on": r.depends_on}
                                      for r in rows])
                st.dataframe(table, hide_index=True)
                st.bar_chart(table["depends on"].value_counts())
        except (ValueError, FileNotFoundError) as error:
            common.show_error(error)
