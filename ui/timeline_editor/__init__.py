"""The timeline editor: a custom Streamlit component (``ui/frontend/src/editor``, built with wavesurfer.js; the built
bundle in ``ui/frontend/dist/editor`` is committed, so nothing needs node or a CDN at run time).

It draws the video, the waveform, the spectrogram and one lane per class on one time axis with a playhead kept in
step with playback, and sends back each gesture (select, drag, keys) as one message. ``timeline_editor`` hands every
new message exactly once to ``on_gesture`` (a ``studio.gestures.Gesture``; without ``on_gesture`` the editor is
read-only and only selects) from the component's ``on_change`` callback, so the page that is then drawn already shows
its outcome; a refused gesture (a conflict with another session, an invalid edit) is shown with
``ui.common.show_error``. The nonce of the last message handled goes back to the browser, which sends its next
gesture only then: gestures are neither lost nor applied twice, whatever reruns happen in between.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit as st
import streamlit.components.v1 as components

from storage import StorageError, VideoView
from studio.gestures import SELECT, Gesture, Outcome
from studio.viz.editor import EditorAudio, EditorView, editor_audio
from ui import common
from ui.timeline_editor.media import video_url

BUILD = Path(__file__).resolve().parent.parent / "frontend" / "dist" / "editor"


@st.cache_resource(show_spinner=False)
def _component() -> Callable[..., object]:
    """Declared at the first script run, not at import: Streamlit serves only components declared inside a run, and
    the server imports this package (for ``media.MEDIA_ROUTES``) before any run."""
    return components.declare_component("timeline_editor", path=str(BUILD))


@st.cache_resource(show_spinner=False, max_entries=8)
def _audio(media_path: str, duration: float) -> EditorAudio | None:
    return editor_audio(common.audio_rows(media_path), duration)


def audio_of(video: VideoView) -> EditorAudio | None:
    """The video's waveform and spectrogram as the editor draws them, computed once per video and process (every
    rerun sends them, none recomputes them); None when its file is not on this server."""
    path = video.stored_path
    return _audio(path, video.duration) if path and Path(path).is_file() else None


def _state_key(key: str, what: str) -> str:
    return f"{key}__{what}"


def _received(key: str, on_gesture: Callable[[Gesture], Outcome] | None) -> None:
    """``on_change`` of the component: apply the new gesture once; remember what to show and what to acknowledge."""
    message = st.session_state.get(key)
    nonce = message.get("nonce") if isinstance(message, dict) else None
    if nonce is None or nonce == st.session_state.get(_state_key(key, "ack")):
        return
    st.session_state[_state_key(key, "ack")] = nonce
    try:
        gesture = Gesture.from_message(message)
        if gesture.kind == SELECT:
            st.session_state[common.EVENT_KEY] = gesture.event_id
            return
        if on_gesture is None:
            return
        outcome = on_gesture(gesture)
    except (StorageError, ValueError) as error:
        st.session_state[_state_key(key, "error")] = error
        st.session_state[_state_key(key, "notice")] = f"Not saved: {error}"
        return
    st.session_state[_state_key(key, "notice")] = outcome.message
    if outcome.selected_id is not None:
        st.session_state[common.EVENT_KEY] = outcome.selected_id


def timeline_editor(view: EditorView, *, key: str, video: VideoView | None = None,
                    on_gesture: Callable[[Gesture], Outcome] | None = None, show_deleted: bool = False,
                    subtitles: str | None = None) -> None:
    """Draw the editor for ``view``; the selected event is ``common.EVENT_KEY`` (shared with the page's pickers)."""
    error = st.session_state.pop(_state_key(key, "error"), None)
    if error is not None:
        common.show_error(error)
    _component()(
        view=view.to_json(), video_url=video_url(video) if video is not None else None,
        read_only=on_gesture is None, selected=st.session_state.get(common.EVENT_KEY), show_deleted=show_deleted,
        subtitles=subtitles, notice=st.session_state.pop(_state_key(key, "notice"), None),
        ack=st.session_state.get(_state_key(key, "ack")), key=key, default=None,
        on_change=lambda: _received(key, on_gesture),
    )
