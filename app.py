"""LoCo Studio: the Streamlit entry point (navigation, sidebar, session defaults). Pages live in ``pages/``."""

import streamlit as st

st.set_page_config(page_title="LoCo Studio", layout="wide")
st.title("LoCo Studio")
st.write("Dense audio-visual event localization: detect, inspect, correct, export, re-train.")
