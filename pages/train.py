"""Train & Evaluate: train or fine-tune on a snapshot in a background process whose progress survives page changes
and reloads; evaluate any model on a snapshot's test split; register and activate a new model; compare two models'
events on one video."""

from pathlib import Path

import pandas as pd
import streamlit as st

from loco.config import CONFIG_DIR
from studio import jobs
from studio.errors import ServiceError
from studio.evaluation import evaluate_on_snapshot
from studio.models import register_trained_model
from studio.probes import predict_run
from studio.taxonomy import scoring_model
from studio.training import best_checkpoint, training_plan
from studio.viz import TimelineEvent, timeline_figure
from ui import common
from ui.taxonomy import scoring_table

st.header("Train & Evaluate")
store = common.store()
snapshots = store.list_snapshots()
snapshot_names = {s.snapshot_id: f"#{s.snapshot_id} {s.name} ({s.n_videos} videos, {s.n_events} events)"
                  for s in snapshots}
splits_of = {s.snapshot_id: s.subsets for s in snapshots}

st.subheader("Train")
if not snapshots:
    st.info("No snapshot yet: create one on the Dataset & Export page.")
else:
    c1, c2, c3, c4 = st.columns(4)
    snapshot_id = c1.selectbox("Snapshot", list(snapshot_names), format_func=snapshot_names.get, key="train_snapshot")
    configs = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
    config = c2.selectbox("Config", configs, index=configs.index("compact") if "compact" in configs else 0,
                          key="train_config")
    epochs = c3.number_input("Epochs", 1, 500, 10, key="train_epochs")
    mode = c4.radio("Start from", ["scratch", "active model (fine-tune)"], key="train_mode")
    validation = splits_of[snapshot_id].get("validation", 0)
    st.caption(f"Trains on {splits_of[snapshot_id].get('train', 0)} videos and validates on {validation}"
               + ("" if validation else ": no validation curve. Assign validation videos on Dataset & Export, then "
                  "take a new snapshot."))
    if st.button("Start training", type="primary", key="train_go"):
        try:
            init = common.active_model() if mode != "scratch" else None
            if mode != "scratch" and init is None:
                raise ServiceError("there is no active model to fine-tune")
            plan = training_plan(store, snapshot_id, config, int(epochs), init)
            jobs.start_process_job("train", plan.argv, {"output_dir": str(plan.output_dir), "epochs": plan.epochs,
                                                        "metrics": str(plan.metrics_path), "snapshot": snapshot_id})
        except ValueError as error:
            common.show_error(error)


REGISTERED_KEY = "registered_model_message"


@st.fragment(run_every=2.0)
def training_panel() -> None:
    """The newest training job, read from the data folder: the same view after a page change or a reload."""
    training_jobs = jobs.list_jobs("train")
    if not training_jobs:
        return
    state = training_jobs[0]
    records = jobs.read_jsonl(state.params["metrics"])
    epochs = state.params["epochs"]
    fraction = 1.0 if state.status == "done" else len(records) / epochs
    st.progress(fraction, text=f"training job {state.job_id}: {state.status}, epoch {len(records)} of {epochs}")
    if records:
        table = pd.DataFrame([{"epoch": r["epoch"] + 1, "loss": r.get("total"),
                               "val mAP (avg)": (r.get("val") or {}).get("avg")} for r in records]).set_index("epoch")
        c1, c2 = st.columns(2)
        c1.line_chart(table[["loss"]])
        if table["val mAP (avg)"].notna().any():
            c2.line_chart(table[["val mAP (avg)"]])
    if not state.finished:
        if st.button("Cancel training", key="train_cancel"):
            jobs.cancel(state.job_id)
        return
    if state.status == "failed":
        st.error(f"Training failed: {state.error}")
        return
    if state.status == "cancelled":
        st.info("Training was cancelled.")
        return
    checkpoint = best_checkpoint(Path(state.params["output_dir"]))
    if checkpoint is None:
        st.warning("Training finished without a checkpoint.")
        return
    name = st.text_input("Name of the new model", value=f"loco-{state.job_id}", key="register_name")
    if st.button("Register and activate", key="register_go"):
        try:
            kept = register_trained_model(store, checkpoint, name, state.params.get("snapshot"))
            # Kept in the session: this fragment reruns every 2 s, which would wipe a message shown only once.
            st.session_state[REGISTERED_KEY] = (state.job_id, f"{kept.stem} is now the active model.")
        except ValueError as error:
            common.show_error(error)
    registered = st.session_state.get(REGISTERED_KEY)
    if registered and registered[0] == state.job_id:
        st.success(registered[1])


training_panel()

st.subheader("Evaluate")
if snapshots:
    c1, c2, c3 = st.columns(3)
    with c1:
        eval_model = common.model_picker("Model to evaluate", key="eval_model")
    eval_snapshot = c2.selectbox("Snapshot", list(snapshot_names), format_func=snapshot_names.get, key="eval_snapshot")
    # The first split the snapshot has, test first: a fresh snapshot may hold training videos only.
    choices = ["test", "validation", "train"]
    present = [c for c in choices if splits_of[eval_snapshot].get(c)]
    split = c3.selectbox("Split", choices, index=choices.index(present[0]) if present else 0, key="eval_split")
    if split == "train":
        st.caption("Scoring on the training videos says how well the model fits them, not how it generalises.")
    if st.button("Evaluate", key="eval_go", disabled=eval_model is None):
        try:
            loaded = common.load_model(eval_model)
        except ValueError as error:
            common.show_error(error)
        else:
            def work(progress) -> dict:
                result = evaluate_on_snapshot(store, eval_snapshot, loaded, split, progress)
                return {"model": eval_model.stem, "snapshot": eval_snapshot, "split": split, **result.to_dict()}

            st.session_state["eval_job"] = jobs.start_thread_job("evaluate", work).job_id


@st.fragment(run_every=1.0)
def evaluation_panel() -> None:
    job_id = st.session_state.get("eval_job")
    if not job_id:
        return
    state = jobs.refresh(job_id)
    if not state.finished:
        st.progress(state.progress, text=state.message or "evaluating…")
    elif state.status == "failed":
        st.error(f"Evaluation failed: {state.error}")
    elif state.status == "done":
        result = state.result
        st.markdown(f"**{result['model']}** on snapshot #{result['snapshot']} ({result['split']} split)")
        summary = pd.DataFrame([result["summary"], result["agnostic_summary"]],
                               index=["by class", "any class (found, whatever the name)"]).mul(100).round(2)
        st.dataframe(summary)
        st.dataframe(pd.DataFrame(result["per_class"]), hide_index=True)


evaluation_panel()
active_model = common.active_model()
if active_model is not None:
    with st.expander("Which classes the active model scores, and how"):
        try:
            scoring_table(store, common.load_model(active_model), key="train_scoring", labels=False)
        except ValueError as error:
            common.show_error(error)

st.subheader("Compare two models on one video")
video = common.video_picker("Video to compare on")
run = common.run_for(video) if video else None
if video is not None and run is None:
    st.info("This video has no cached features yet: run Detect on it first.")
if run is not None:
    c1, c2 = st.columns(2)
    with c1:
        model_a = common.model_picker("Model A", key="compare_a")
    with c2:
        model_b = common.model_picker("Model B", key="compare_b")
    if st.button("Compare", key="compare_go", disabled=model_a is None or model_b is None):
        try:
            bars, rows = [], []
            for name, path in (("model A", model_a), ("model B", model_b)):
                for e in predict_run(scoring_model(store, common.load_model(path)), run):
                    bars.append(TimelineEvent(-(len(bars) + 1), e.label, e.start, e.end, e.score, name))
                    rows.append({"model": name, "label": e.label, "start": e.start, "end": e.end, "score": e.score})
            threshold = st.session_state.get("score_threshold", 0.1)
            shown = [b for b in bars if b.score >= threshold]
            st.plotly_chart(timeline_figure(shown, video.duration, class_order=store.class_names()),
                            key="compare_chart")
            st.dataframe(pd.DataFrame([r for r in rows if r["score"] >= threshold]), hide_index=True)
        except ValueError as error:
            common.show_error(error)
