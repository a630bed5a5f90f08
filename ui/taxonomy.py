"""How a model scores the taxonomy's classes, for the pages that show it (Taxonomy, Train & Evaluate): one sentence
and a table of every class with how it is scored (trained on examples, by label space only, or not, and why)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from loco.checkpoint import LoadedModel
from storage import Store
from studio import taxonomy
from ui import common

COLUMNS = {"name": "class", "scored": "scored", "why": "why", "audioset": "AudioSet (YAMNet)",
           "imagenet": "ImageNet (MobileNetV2, fast)", "kinetics": "Kinetics-400 (I3D, i3d)", "faces": "face cue"}


def scoring_table(store: Store, loaded: LoadedModel, key: str, labels: bool = True) -> None:
    """The sentence and the table (with each class's labels when ``labels``) of ``loaded`` over the taxonomy."""
    rows = taxonomy.class_rows(store, loaded)
    st.markdown(common.plain(taxonomy.ScoringSummary.of(row.scored for row in rows).sentence()))
    table = pd.DataFrame([asdict(row) for row in rows]).rename(columns=COLUMNS)
    shown = list(COLUMNS.values()) if labels else [COLUMNS["name"], COLUMNS["scored"], COLUMNS["why"]]
    st.dataframe(table[shown], hide_index=True, key=key)
