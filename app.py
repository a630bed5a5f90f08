"""LoCo Studio: the Streamlit entry point (navigation, sidebar with the active model and database, session defaults).
Run with ``streamlit run app.py``; nothing to configure (``LOCO_DATA_DIR``, ``LOCO_DATABASE_URL`` and
``LOCO_MAX_UPLOAD_MB`` are optional).

``streamlit run app.py`` finds ``app`` below and serves it: Streamlit plus the one route that streams stored videos
to the timeline editor (``ui.timeline_editor.media``). Every page run executes ``main()``."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.starlette import App

from loco.paths import data_dir
from studio import models as model_registry
from ui import common
from ui.timeline_editor.media import MEDIA_ROUTES

SESSION_DEFAULTS = {"nudge_unit": "frame"}  # (the score threshold and top-k carry theirs: ui.common)


def main() -> None:
    st.set_page_config(page_title="LoCo Studio", layout="wide")
    for key, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(key, value)

    pages = {
        "Work": [
            st.Page("pages/detect.py", title="Detect", icon=":material/upload:", default=True),
            st.Page("pages/timeline.py", title="Timeline", icon=":material/view_timeline:"),
            st.Page("pages/correspondence.py", title="Correspondence", icon=":material/grid_on:"),
            st.Page("pages/correct.py", title="Correct", icon=":material/edit:"),
            st.Page("pages/review.py", title="Review queue & probes", icon=":material/rule:"),
        ],
        "Project": [
            st.Page("pages/dataset.py", title="Dataset & Export", icon=":material/dataset:"),
            st.Page("pages/taxonomy.py", title="Taxonomy", icon=":material/category:"),
            st.Page("pages/train.py", title="Train & Evaluate", icon=":material/model_training:"),
        ],
    }
    navigation = st.navigation(pages)

    with st.sidebar:
        st.markdown("### LoCo Studio")
        entries = common.models()
        active = model_registry.active_model_path(common.store(), entries)
        if entries:
            # The picker shows the recorded active model on every run (another page may have changed it, e.g. "Register
            # and activate"); only the user's own change of the picker records a new one.
            paths = [e.path for e in entries]
            st.session_state["active_model_pick"] = entries[paths.index(active)] if active in paths else entries[0]
            st.selectbox("Active model", entries, format_func=lambda e: e.name, key="active_model_pick",
                         on_change=lambda: model_registry.set_active_model(common.store(),
                                                                           st.session_state["active_model_pick"].path))
        else:
            st.warning("No model available yet.")
        st.caption(f"Database: `{common.store().url}`")
        st.caption(f"Data folder: `{data_dir()}`")

    navigation.run()


if __name__ == "__main__":  # a page run
    main()
else:  # the server importing this module to find its ASGI app
    # The pages are main()'s st.navigation. Streamlit starts a server whose entry point has a pages/ folder beside it
    # in its older folder mode until a session runs st.navigation: a first session opened at a page's address ran
    # that page alone (no sidebar, no session defaults, narrow layout) until someone opened the main page.
    PagesManager.uses_pages_directory = False
    app = App(__file__, routes=MEDIA_ROUTES)
