"""Dataset & Export: every video with its split and review status; train / validation / test assigned per video or
at random; every export format by the name people know it, downloaded in one click and named after the video;
import of annotation files; immutable training snapshots, which keep each video's split."""

from functools import partial

import streamlit as st

from loco.paths import sub_dir
from storage import EXPORT_FORMATS, IMPORT_FORMATS, TRAINING_STATES
from storage.models import SUBSETS
from storage.splits import DEFAULT_FRACTIONS
from ui import common

st.header("Dataset & Export")
store = common.store()
MESSAGE_KEY = "dataset_message"
videos = store.list_videos()
names = {v.video_id: v.original_name or v.video_id for v in videos}


def say(kind: str, text: str) -> None:
    st.session_state[MESSAGE_KEY] = (kind, text)


def assign() -> None:
    chosen, subset = st.session_state["split_videos"], st.session_state["split_subset"]
    try:
        changed = store.assign_subsets({video_id: subset for video_id in chosen})
        say("success", f"{changed} video{'s' if changed != 1 else ''} now {subset or 'unassigned'}.")
    except ValueError as error:
        say("error", str(error))


def split_at_random() -> None:
    fractions = [st.session_state[f"split_share_{subset}"] for subset in SUBSETS]
    try:
        split = store.assign_random_split(fractions, int(st.session_state["split_seed"]))
        counts = ", ".join(f"{list(split.values()).count(s)} {s}" for s in SUBSETS)
        say("success", f"Split {len(split)} unassigned videos at random (seed {st.session_state['split_seed']}): "
                       f"{counts}.")
    except ValueError as error:
        say("error", str(error))


message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    getattr(st, message[0])(message[1])
if not videos:
    st.info("No video yet: detect events on a video (Detect page) or import annotations below.")
st.dataframe([{"video": v.original_name or v.video_id, "id": v.video_id[:16], "duration (s)": round(v.duration, 2),
               "split": v.subset or "unassigned", "review": v.review_status, "events": v.n_events,
               **{state: v.state_counts.get(state, 0) for state in ("proposed", "accepted", "edited", "added",
                                                                    "rejected")}}
              for v in videos], hide_index=True)

st.subheader("Train, validation and test")
unassigned = [v.video_id for v in videos if v.subset is None]
st.caption(" · ".join(f"{sum(v.subset == s for v in videos)} {s}" for s in SUBSETS)
           + f" · {len(unassigned)} unassigned (a snapshot puts them in train). Training validates on the "
           "validation videos; Evaluate scores the test ones.")
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
c1.multiselect("Videos to assign", list(names), format_func=names.get, key="split_videos")
c2.selectbox("Split", [*SUBSETS, None], format_func=lambda s: s or "unassigned", key="split_subset")
c3.button("Assign", key="split_assign", on_click=assign, disabled=not st.session_state.get("split_videos"))
cols = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
for col, subset, share in zip(cols, SUBSETS, DEFAULT_FRACTIONS):
    col.number_input(f"{subset} %", 0, 100, round(share * 100), 5, key=f"split_share_{subset}")
cols[3].number_input("Seed", 0, 2**31 - 1, 0, key="split_seed")
cols[4].button(f"Split the {len(unassigned)} unassigned video{'s' if len(unassigned) != 1 else ''} at random",
               key="split_random", on_click=split_at_random, disabled=not unassigned)

st.subheader("Export")
c1, c2, c3 = st.columns(3)
fmt = c1.selectbox("Format", list(EXPORT_FORMATS), format_func=lambda f: EXPORT_FORMATS[f].title,
                   key="export_format")
spec = EXPORT_FORMATS[fmt]
which = c2.radio("Events", ["corrected", "corrected + proposed"], key="export_states", horizontal=True,
                 help="Corrected = accepted, edited and added events.")
states = TRAINING_STATES if which == "corrected" else TRAINING_STATES + ("proposed",)
if spec.per_video:
    scope = c3.selectbox("Video", list(names), format_func=names.get, key="export_video") if names else None
else:
    scope = c3.selectbox("Videos", [None, *names], format_func=lambda v: "all videos" if v is None else names[v],
                         key="export_scope")
if spec.per_video and scope is None:
    st.caption(f"{spec.title} describes one video: there is none yet.")
else:
    file_name = spec.file_name(names.get(scope), fallback=scope[:12] if scope else "annotations")
    # The file is made from this format and scope when the button is clicked: never a previous choice's file.
    st.download_button(f"Download {file_name}", partial(store.export_annotations, fmt, scope, states=states),
                       file_name=file_name, mime=spec.mime, key="export_download", type="primary",
                       icon=":material/download:")

st.subheader("Import annotations")
c1, c2 = st.columns(2)
import_fmt = c1.selectbox("Format", IMPORT_FORMATS, format_func=lambda f: EXPORT_FORMATS[f].title,
                          key="import_format")
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
        splits = " · ".join(f"{n} {s}" for s, n in info.subsets.items())
        st.success(f"Snapshot {common.plain(repr(info.name))}: {info.n_videos} videos ({splits}), {info.n_events} "
                   "events (immutable).")
    except ValueError as error:
        common.show_error(error)
snapshots = store.list_snapshots()
if snapshots:
    st.dataframe([{"id": s.snapshot_id, "name": s.name, "by": s.created_by, "created": s.created_at,
                   "videos": s.n_videos, **{subset: s.subsets.get(subset, 0) for subset in SUBSETS},
                   "events": s.n_events, "sha256": s.annotations_sha256[:16]} for s in snapshots], hide_index=True)
