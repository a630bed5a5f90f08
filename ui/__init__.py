"""Streamlit building blocks shared by the pages (the only package besides ``pages/`` and ``app.py`` that imports
Streamlit): cached resources, pickers, selection state and error display."""
