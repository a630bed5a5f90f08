"""Streamlit plumbing shared by the pages (not a page itself): the store and models loaded once per process, the
current video, and error display. Kept here so each page file stays orchestration + rendering only."""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from loco.checkpoint import LoadedModel, load_checkpoint
from loco.paths import data_dir
from storage import ConflictError, RunView, Store, VideoView, open_store
from studio import models as model_registry
from studio.editing import EditSession
from studio.runs import audio_overview
from studio.viz.audio import AudioRows
from studio.viz.media import boundary_frames as frames_at

VIDEO_KEY = "video_id"
EVENT_KEY = "selected_event"
EDIT_SESSION_KEY = "edit_session"
THRESHOLD_KEY = "score_threshold"
TOP_K_KEY = "top_k"
DEFAULT_THRESHOLD = 0.1  # the score a proposal needs to be shown, until the user moves the slider
DEFAULT_TOP_K = 100
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


@st.cache_resource(show_spinner=False)
def _store(url: str | None, folder: str) -> Store:
    return open_store(url)


def store() -> Store:
    """One store per database (the data directory and URL are part of the key, so tests get their own)."""
    return _store(os.environ.get("LOCO_DATABASE_URL"), str(data_dir()))


@st.cache_resource(show_spinner="loading the model…", max_entries=4)
def _model(path: str, mtime: float) -> LoadedModel:
    return load_checkpoint(path)


def load_model(path: Path) -> LoadedModel:
    """The checkpoint loaded once per process (a rewritten file, with a new mtime, is loaded again)."""
    return _model(str(path), Path(path).stat().st_mtime)


def models() -> list[model_registry.ModelEntry]:
    return model_registry.available_models(store())


def active_model() -> Path | None:
    return model_registry.active_model_path(store(), models())


def model_picker(label: str = "Model", key: str = "model_pick") -> Path | None:
    """A model select box defaulting to the active model; None (with a message) when there is none."""
    entries = models()
    if not entries:
        st.warning("No model is available: the shipped default model is missing and none was trained yet. "
                   "Train one on the Train & Evaluate page or put a checkpoint in the data folder's models/.")
        return None
    active = model_registry.active_model_path(store(), entries)
    paths = [e.path for e in entries]
    index = paths.index(active) if active in paths else 0
    chosen = st.selectbox(label, entries, index=index, format_func=lambda e: e.name, key=key)
    return chosen.path


def video_picker(label: str = "Video") -> VideoView | None:
    """Select among processed videos (remembered across pages); None with a hint when there is none."""
    videos = store().list_videos()
    if not videos:
        st.info("No video yet: detect events on a video first (Detect page).")
        st.page_link("pages/detect.py", label="Go to Detect")
        return None
    ids = [v.video_id for v in videos]
    names = {v.video_id: f"{v.original_name or v.video_id[:12]} · {v.duration:.1f} s · {v.review_status}"
             for v in videos}
    def picked() -> None:
        st.session_state[VIDEO_KEY] = st.session_state["video_pick"]
        st.session_state.pop(EVENT_KEY, None)

    current = st.session_state.get(VIDEO_KEY)
    chosen = current if current in ids else ids[-1]
    st.session_state[VIDEO_KEY] = st.session_state["video_pick"] = chosen
    st.selectbox(label, ids, format_func=names.get, key="video_pick", on_change=picked)
    return store().video(chosen)


def bind(widget_key: str, state_key: str, options: list, fallback):
    """Keep a widget showing ``state_key`` (which clicks elsewhere may change) while the widget's own changes write
    back through its ``on_change``: set the widget's value before it is drawn, never after."""
    value = st.session_state.get(state_key)
    st.session_state[widget_key] = value if value in options else fallback

    def changed() -> None:
        st.session_state[state_key] = st.session_state[widget_key]

    return changed


def edit_session() -> EditSession:
    """This browser session's undo list: every gesture on every page goes in it, so Undo reverts the newest one
    whatever event it touched (``studio.editing.EditSession``)."""
    return st.session_state.setdefault(EDIT_SESSION_KEY, EditSession())


def proposal_controls(threshold_column=st, top_k_column=st) -> tuple[float, int]:
    """The score threshold and top-k that the Timeline, the Correct page and the Detect summary share; kept across
    page switches. The widgets carry their defaults themselves, so that no page depends on app.py having set them
    in Session State first."""
    threshold = threshold_column.slider("Score threshold", 0.0, 1.0, DEFAULT_THRESHOLD, key=THRESHOLD_KEY, step=0.01,
                                        persist_state="session")
    top_k = top_k_column.number_input("Top-k predictions", 1, 1000, DEFAULT_TOP_K, key=TOP_K_KEY,
                                      persist_state="session")
    return float(threshold), int(top_k)


def shown_proposals() -> tuple[float, int]:
    """The threshold and top-k the user last set (:func:`proposal_controls`), for a page without the controls."""
    return (float(st.session_state.get(THRESHOLD_KEY, DEFAULT_THRESHOLD)),
            int(st.session_state.get(TOP_K_KEY, DEFAULT_TOP_K)))


def plain(text: str) -> str:
    """User text (a class name, a file name) for a Markdown message: shown as typed, never as formatting or links."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def require_video() -> VideoView:
    """The page's video (picker at the top); stops the page with a hint when there is none yet."""
    video = video_picker()
    if video is None:
        st.stop()
    return video


def run_for(video: VideoView) -> RunView | None:
    return store().latest_run(video.video_id)


def show_error(error: Exception) -> None:
    """Typed errors as one clear line; a conflict says that someone else changed the event."""
    if isinstance(error, ConflictError):
        st.warning(f"Another session changed this event. {error}")
    else:
        st.error(str(error))


@st.cache_data(show_spinner="reading the audio…", max_entries=8)
def audio_rows(media_path: str) -> AudioRows:
    """The video's audio overview (kept with its runs; computed as a stream the first time)."""
    return audio_overview(Path(media_path))


@st.cache_data(show_spinner=False, max_entries=32)
def boundary_frames(media_path: str, times: tuple[float, ...]):
    return frames_at(Path(media_path), list(times))
