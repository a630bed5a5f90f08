"""The app layer between the pages and the libraries: everything the Streamlit pages do, without Streamlit.

One module per concern: ``uploads`` (spooling by content hash), ``models`` (available and active models),
``runs`` (the detection pipeline and reads of a run), ``internals`` (a run's internals file), ``editing`` (the one
door for every correction gesture), ``segments`` (edit geometry), ``review`` (the review queue), ``probes`` (modality
probes), ``evaluation`` (mAP on a snapshot), ``training`` (training jobs' commands), ``jobs`` (background work with
progress and cancel), ``viz`` (Plotly figures). It imports ``loco`` and ``storage``, never Streamlit; the CLI, tests
and benchmarks use it as the pages do.
"""
