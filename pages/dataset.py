"""Dataset & Export: every video with its review status and event counts, import of annotation files, every export
format of the store, and immutable training snapshots."""

import streamlit as st

from loco.paths import sub_dir
from storage import EXPORT_FORMATS, IMPORT_FORMATS, TRAINING_STATES
from ui import common

st.header("Dataset & Export")
store = common.store()
videos = store.list_videos()
if not videos:
    st.info("No video yet: detect events on a video (Detect page) or import annotations below.")
st.dataframe([{"video": v.original_name or v.video_id, "id": v.video_id[:16], "duration (s)": round(v.duration, 2),
               "subset": v.subset, "review": v.review_status, "events": v.n_events,
               **{state: v.state_counts.get(state, 0) for state in ("proposed", "accepted", "edited", "added",
                                                                    "rejected")}}
              for v in videos], hide_index=True)
names = {v.video_id: v.original_name or v.video_id for v in videos}

st.subheader("Export")
c1, c2, c3 = st.columns(3)
fmt = c1.selectbox("Format", sorted(EXPORT_FORMATS), key="export_format")
spec = EXPORT_FORMATS[fmt]
which = c2.radio("Events", ["corrected", "corrected + proposed"], key="export_states", horizontal=True,
                 help="Corrected = accepted, edited and added events.")
states = TRAINING_STATES if which == "corrected" else TRAINING_STATES + ("proposed",)
scope = None
if spec.per_video:
    scope = c3.selectbox("Video", list(names), format_func=names.get, key="export_video") if names else None
if st.button("Prepare the export", key="export_go", disabled=spec.per_video and scope is None):
    try:
        data = store.export_annotations(fmt, scope, states=states)
        st.session_state["export_data"] = (f"loco_{fmt}{'_' + scope[:12] if scope else ''}{spec.extension}", data)
    except ValueError as error:
        common.show_error(error)
if "export_data" in st.session_state:
    filename, data = st.session_state["export_data"]
    st.download_button(f"Download {filename}", data, file_name=filename, key="export_download")

st.subheader("Import annotations")
c1, c2 = st.columns(2)
import_fmt = c1.selectbox("Format", IMPORT_FORMATS, key="import_format")
target = c2.selectbox("Video (for per-video formats)", [None, *names], key="import_video",
                      format_func=lambda v: "—" if v is None else names[v])
upload = st.file_uploader("Annotation file", key="import_file", max_upload_size=50)
if st.button("Import", key="import_go", disabled=upload is None):
    try:
        count = store.import_annotations(import_fmt, upload.getvalue(), video_id=target)
        st.success(f"Imported {count} events.")
    except ValueError as error:
        common.show_error(error)

st.subheader("Snapshots")
c1, c2 = st.columns([1, 2])
snapshot_name = c1.text_input("Snapshot name", key="snapshot_name")
chosen = c2.multiselect("Videos", list(names), default=[v.video_id for v in videos if v.review_status == "done"],
                        format_func=names.get, key="snapshot_videos")
if st.button("Create snapshot", key="snapshot_go", disabled=not snapshot_name):
    try:
        info = store.create_snapshot(snapshot_name, chosen)
        store.export_snapshot(info.snapshot_id, sub_dir("snapshots") / str(info.snapshot_id))
        st.success(f"Snapshot {info.name!r}: {info.n_videos} videos, {info.n_events} events (immutable).")
    except ValueError as error:
        common.show_error(error)
snapshots = store.list_snapshots()
if snapshots:
    st.dataframe([{"id": s.snapshot_id, "name": s.name, "by": s.created_by, "created": s.created_at,
                   "videos": s.n_videos, "events": s.n_events, "sha256": s.annotations_sha256[:16]}
                  for s in snapshots], hide_index=True)
