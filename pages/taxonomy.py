"""Taxonomy: every class with the labels that mean it in the pretrained heads (AudioSet, ImageNet, Kinetics-400, the
face cue) and how the active model scores it; add a class with its labels, or change a class's labels."""

import streamlit as st

from loco.label_space import head_labels, load_label_space
from studio import taxonomy
from ui import common
from ui.taxonomy import scoring_table

st.header("Taxonomy")
store = common.store()
heads = head_labels()
ADD, CHANGE = "Add a class", "Change a class's labels"

with st.expander("Add a class, or change a class's labels", expanded=False):
    st.caption("An open-vocabulary model scores a class it has no examples of by these labels: what YAMNet hears "
               "(AudioSet), what MobileNetV2 sees (ImageNet, fast profile) or I3D sees (Kinetics-400, i3d profile), "
               "and the face cue for sounds a person on screen makes. Type in a list to search it.")
    mode = st.radio("What", [ADD, CHANGE], horizontal=True, key="taxonomy_mode", label_visibility="collapsed")
    if mode == ADD:
        name, current = st.text_input("Class name", key="taxonomy_name"), None
    else:
        name = st.selectbox("Class", store.class_names(), key="taxonomy_class")
        current = load_label_space().get(name)
    suffix = "" if current is None else f"_{name}"  # a class's own pickers, filled with its labels
    audioset = st.multiselect("AudioSet labels (YAMNet: what it sounds like)", range(len(heads.audioset)),
                              default=list(current.audioset) if current else [], format_func=heads.audioset.__getitem__,
                              key=f"taxonomy_audioset{suffix}")
    imagenet = st.multiselect("ImageNet labels (MobileNetV2, fast profile: what it looks like)",
                              range(len(heads.imagenet)), default=list(current.imagenet) if current else [],
                              format_func=heads.imagenet.__getitem__, key=f"taxonomy_imagenet{suffix}")
    kinetics = st.multiselect("Kinetics-400 actions (I3D, i3d profile: what is done)", range(len(heads.kinetics)),
                              default=list(current.kinetics) if current else [],
                              format_func=heads.kinetics.__getitem__, key=f"taxonomy_kinetics{suffix}")
    faces = st.checkbox("A person on screen makes it: the face cue is visual evidence of it",
                        value=bool(current and current.faces), key=f"taxonomy_faces{suffix}")
    if st.button("Save", type="primary", key="taxonomy_save", disabled=not name):
        try:
            labels = taxonomy.class_labels(name, audioset, imagenet, kinetics, faces)
            if mode == ADD:
                taxonomy.add_class(store, labels)
                st.success(f"Class {common.plain(name)} added with its labels.")
            else:
                taxonomy.set_class_labels(store, labels)
                st.success(f"The labels of {common.plain(name)} are saved.")
        except ValueError as error:
            common.show_error(error)

st.subheader("How the active model scores each class")
active = common.active_model()
if active is None:
    st.info("No model is available yet.")
else:
    try:
        scoring_table(store, common.load_model(active), key="taxonomy_table")
    except ValueError as error:
        common.show_error(error)
