"""Detect: pick the example or upload a video, choose model and profile, run decode -> features -> model in the
background with progress and cancel. A video already processed with the same model is reopened instantly."""

import streamlit as st

from loco.features.profiles import PROFILES
from loco.label_prior import DEFAULT_WEIGHT
from studio import jobs, runs, taxonomy, uploads
from ui import common

st.header("Detect events")
JOB_KEY = "detect_job"


def found(run_id: int, cached: bool = False) -> None:
    """What the run found at the Timeline's threshold and top-k, by class, with the way to the Timeline."""
    summary = runs.detection_summary(common.store(), run_id, *common.shown_proposals())
    text = ("Already processed, from the cache. " if cached else "") + common.plain(summary.sentence())
    (st.success if summary.found else st.info)(text)
    c1, c2 = st.columns(2)
    c1.page_link("pages/timeline.py", label="Open the timeline", icon=":material/view_timeline:")
    c2.page_link("pages/correct.py", label="Correct the events", icon=":material/edit:")


checkpoint = common.model_picker()
if checkpoint is None:
    st.stop()
try:
    loaded = common.load_model(checkpoint)
except ValueError as error:
    common.show_error(error)
    st.stop()
profiles = sorted(PROFILES)
profile = st.selectbox("Feature profile", profiles, index=profiles.index(loaded.profile) if loaded.profile in
                       profiles else 0, help=f"The model was trained on the {loaded.profile!r} profile.")

if profile == loaded.profile == "fast":
    carried = loaded.config.postprocess.label_prior_weight
    use_prior = st.checkbox(
        "Help name unfamiliar animals and objects (the encoders' label prior)", value=carried > 0,
        key="detect_label_prior",
        help="Re-scores each candidate event's class with what YAMNet (AudioSet) and MobileNetV2 (ImageNet) already "
        "know about it: much better names for exemplars unlike the training ones (measured in the README). Our "
        "addition, not part of LoCo.")
    loaded = loaded.with_label_prior((carried or DEFAULT_WEIGHT) if use_prior else 0.0)
loaded = taxonomy.scoring_model(common.store(), loaded)
scoring = taxonomy.ScoringSummary.of(s.how for s in taxonomy.class_scoring(common.store(), loaded))
st.caption(common.plain(scoring.sentence()))
st.page_link("pages/taxonomy.py", label="Which classes, how and why", icon=":material/category:")

source = st.radio("Video", ["Example video", "Upload a video"], horizontal=True, key="detect_source")
video, original_name = None, None
if source == "Example video":
    try:
        video, original_name = uploads.example_video(), "example.mp4"
        st.caption(f"The shipped example ({video.size / 2**20:.1f} MB).")
    except ValueError as error:
        common.show_error(error)
else:
    limit = uploads.max_upload_mb()
    upload = st.file_uploader("Video file", type=None, max_upload_size=limit, key="upload",
                              help=f"Up to {limit} MB; stored by content hash, never by its name.")
    if upload is not None:
        try:
            video, original_name = uploads.spool_upload(upload, limit * 2**20), upload.name
        except ValueError as error:
            common.show_error(error)

force = st.checkbox("Re-run even if this video was processed with this model", key="detect_force")
if st.button("Detect events", type="primary", disabled=video is None, key="detect_go"):
    store = common.store()
    cached = None if force else runs.cached_run(store, video.sha256, checkpoint, profile,
                                                 loaded.config.postprocess.label_prior_weight,
                                                 runs.vocabulary_key(loaded))
    if cached is not None:
        st.session_state[common.VIDEO_KEY] = cached.video_id
        st.session_state.pop(JOB_KEY, None)
        found(cached.run_id, cached=True)
    else:
        def work(progress) -> dict:
            run = runs.detect(store, video, checkpoint, loaded, profile, original_name, progress, force)
            return {"video_id": run.video_id, "run_id": run.run_id, "num_events": run.num_events}

        state = jobs.start_thread_job("detect", work, {"video": video.sha256, "model": str(checkpoint)})
        st.session_state[JOB_KEY] = state.job_id


@st.fragment(run_every=1.0)
def job_panel() -> None:
    job_id = st.session_state.get(JOB_KEY)
    if not job_id:
        return
    state = jobs.refresh(job_id)
    if not state.finished:
        st.progress(state.progress, text=state.message or "starting…")
        if st.button("Cancel", key="detect_cancel"):
            jobs.cancel(job_id)
        return
    if state.status == "done":
        st.session_state[common.VIDEO_KEY] = state.result["video_id"]
        found(state.result["run_id"])
    elif state.status == "cancelled":
        st.info("Detection cancelled; nothing was stored.")
    else:
        st.error(f"Detection failed: {state.error}")


job_panel()
