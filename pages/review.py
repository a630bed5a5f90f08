"""Beyond the anchors: a review queue ranking the predictions that most need a person (uncertain scores, and events
where sound and picture agree less than elsewhere in the clip, by LCC's same-step agreement), each row saying why it is
there, and a modality probe (re-run with the audio or the video blanked: which events depend on which stream)."""

from pathlib import Path

import pandas as pd
import streamlit as st

from studio.probes import modality_probe
from studio.review import DISAGREEMENT_WEIGHT, event_gate, rank_for_review
from ui import common
from ui.internals import run_internals

st.header("Review queue & modality probes")
video = common.require_video()
store = common.store()
run = common.run_for(video)

st.subheader("Review queue")
weight = st.slider("Weight of audio-visual disagreement (vs. score uncertainty)", 0.0, 1.0, DISAGREEMENT_WEIGHT, 0.05,
                   key="review_weight",
                   help="Disagreement: for a model whose LCC gates were trained against annotated events (the "
                        "default model's), one minus the gates' mean over the event, the model's own doubt that "
                        "sound and picture are one event there; for other models, the share of the clip's steps "
                        "where sound and picture agree better (LCC's cosine of the two streams at the same step) "
                        "than over the event. Uncertainty: 1 at a score of 0.5, 0 at 0 or 1. The default weighs "
                        "them equally, fixed a priori.")
proposed = store.current_events(video.video_id, states=["proposed"])
agreement = gate = None
grid = store.grid
loaded = run_internals(run)
if loaded is not None:
    internals, grid = loaded
    agreement = internals.agreement
    if run.checkpoint_path and Path(run.checkpoint_path).is_file():
        gate = event_gate(internals, common.load_model(Path(run.checkpoint_path)).config.model.lcc)
queue = rank_for_review(proposed, grid, agreement, weight, gate)
if not queue:
    st.info("Nothing to review: no proposed (unreviewed) predictions on this video.")
else:
    if agreement is None:
        st.caption("No LCC agreement for this run: ranked by score uncertainty only.")
    top = queue[:50]
    st.dataframe(pd.DataFrame([{"event": i.event_id, "label": i.label, "start": round(i.start, 2),
                                "end": round(i.end, 2), "score": round(i.score, 3),
                                "agreement": None if i.agreement is None else round(i.agreement, 3),
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
