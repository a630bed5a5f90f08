"""A run's internals for the pages: read once per file and shared (never copied per rerun), with a clear way out for
a file saved by an older version."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from loco.grid import FeatureGrid
from loco.model.internals import VideoInternals
from storage import RunView
from studio.internals import OutdatedInternalsError, load_internals
from studio.runs import recompute_internals
from ui import common


@st.cache_resource(show_spinner="loading the internals…", max_entries=4)
def _load(path: str, mtime: float) -> tuple[VideoInternals, FeatureGrid]:
    return load_internals(Path(path))


def run_internals(run: RunView | None) -> tuple[VideoInternals, FeatureGrid] | None:
    """The run's internals and grid; None when it has none. A file of an older format is reported, with a button
    that re-computes it from the run's cached features (the page stops until then)."""
    if run is None or not run.internals_path or not Path(run.internals_path).is_file():
        return None
    path = Path(run.internals_path)
    try:
        return _load(str(path), path.stat().st_mtime)
    except OutdatedInternalsError as error:
        st.warning(f"{error}. They were saved by an older version of LoCo Studio, which kept whole T × T "
                   "matrices; re-computing them takes one pass of the model over the cached features.")
        if run.checkpoint_path and Path(run.checkpoint_path).is_file() and st.button("Re-compute the internals",
                                                                                     key="recompute_internals"):
            with st.spinner("running the model on the cached features…"):
                recompute_internals(run, common.load_model(Path(run.checkpoint_path)))
            st.rerun()
        st.stop()
