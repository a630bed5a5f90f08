"""Train & Evaluate: fine-tune (or train) on a snapshot in a background process whose progress survives page changes
and reloads: what the snapshot holds and which of its classes are new to the model, the recipe chosen for its size
with a time estimate, then the before/after table on its validation videos before the new model is registered and
activated; evaluate any model on a snapshot's split; compare two models' events on one video."""

from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from loco.checkpoint import read_header
from loco.config import CONFIG_DIR
from studio import jobs
from studio.errors import ServiceError
from studio.evaluation import evaluate_on_snapshot
from studio.models import register_trained_model
from studio.probes import predict_run
from studio.taxonomy import scoring_model
from studio.training import (
    best_checkpoint, choose_recipe, compare_run, saved_comparison, snapshot_contents, training_plan,
)
from studio.viz import TimelineEvent, timeline_figure
from ui import common
from ui.plotly_chart import plotly_chart
from ui.taxonomy import scoring_table

st.header("Train & Evaluate")
store = common.store()
snapshots = store.list_snapshots()
snapshot_names = {s.snapshot_id: f"#{s.snapshot_id} {s.name} ({s.n_videos} videos, {s.n_events} events)"
                  for s in snapshots}
splits_of = {s.snapshot_id: s.subsets for s in snapshots}

REGISTERED_KEY = "registered_model_message"


def format_duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def train_form(snapshot_id: int) -> None:
    """What the snapshot holds for the chosen start, the recipe for its size, and the button that starts it."""
    c1, c2 = st.columns(2)
    configs = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
    config = c1.selectbox("Config", configs, index=configs.index("compact") if "compact" in configs else 0,
                          key="train_config")
    mode = c2.radio("Start from", ["active model (fine-tune)", "scratch"], key="train_mode")
    init = common.active_model() if mode != "scratch" else None
    contents = snapshot_contents(store, snapshot_id, read_header(init)["class_names"] if init is not None else None)
    validation = contents.subsets.get("validation", 0)
    st.caption(f"Trains on {contents.train_videos} videos and validates on {validation}"
               + ("" if validation else ": no validation curve and no before/after table. Assign validation videos "
                  "on Dataset & Export, then take a new snapshot."))
    st.markdown(f"{sum(contents.events_per_class.values())} events in the training videos, "
                f"{contents.n_rejected} rejected proposals (hard negatives)."
                + (" New to the model (a fine-tune adds them as classes): "
                   + ", ".join(f"**{name}**" for name in contents.new_classes) if contents.new_classes else ""))
    if contents.events_per_class:
        st.dataframe(pd.DataFrame([{"class": name, "events (training videos)": n,
                                    "new to the model": name in contents.new_classes}
                                   for name, n in contents.events_per_class.items()]),
                     hide_index=True, key="train_contents")
    recipe = choose_recipe(contents, init is not None)
    # One widget under one key (a key per snapshot drew two "Epochs" boxes while the page re-ran): the recipe's
    # epochs are put in it when the snapshot or the start changes, and the user's number is kept otherwise.
    if st.session_state.get("train_epochs_for") != (snapshot_id, mode):
        st.session_state["train_epochs_for"] = (snapshot_id, mode)
        st.session_state["train_epochs"] = recipe.epochs
    epochs = st.number_input("Epochs", 1, 500, key="train_epochs")
    recipe = replace(recipe, epochs=int(epochs))
    st.caption(f"Recipe ({recipe.reason}): {recipe.epochs} epochs at learning rate {recipe.lr:g}, "
               f"{recipe.what_trains}"
               + (", the start's scores kept where the snapshot says nothing" if recipe.distill_weight else "")
               + f"; about {format_duration(recipe.estimate_seconds(contents))} on an idle 2-core CPU.")
    if st.button("Start training", type="primary", key="train_go"):
        if mode != "scratch" and init is None:
            raise ServiceError("there is no active model to fine-tune")
        plan = training_plan(store, snapshot_id, config, recipe, init)
        jobs.start_process_job("train", plan.argv, {"output_dir": str(plan.output_dir), "epochs": plan.epochs,
                                                    "metrics": str(plan.metrics_path), "snapshot": snapshot_id,
                                                    "before": str(init or common.active_model() or "")},
                               env=plan.env)


st.subheader("Train")
if not snapshots:
    st.info("No snapshot yet: create one on the Dataset & Export page.")
else:
    train_snapshot = st.selectbox("Snapshot", list(snapshot_names), format_func=snapshot_names.get,
                                  key="train_snapshot")
    try:
        train_form(train_snapshot)
    except ValueError as error:
        common.show_error(error)


def comparison_panel(state: jobs.JobState, output_dir: Path, checkpoint: Path) -> None:
    """The before/after table on the snapshot's validation videos, computed once per run in a background job and
    kept beside the run's checkpoint."""
    snapshot, before = state.params.get("snapshot"), state.params.get("before")
    if not before or not store.snapshot(snapshot).subsets.get("validation"):
        return
    comparison = saved_comparison(output_dir)
    if comparison is None:
        running = [j for j in jobs.list_jobs("compare") if j.params.get("training_job") == state.job_id]
        if not running:
            jobs.start_thread_job("compare", lambda progress: compare_run(
                store, snapshot, Path(before), checkpoint, output_dir).to_dict(),
                {"training_job": state.job_id})
            st.info("Scoring the models before and after on the snapshot's validation videos…")
        elif running[0].status == "failed":
            st.error(f"Comparing the models failed: {running[0].error}")
        else:
            st.info("Scoring the models before and after on the snapshot's validation videos…")
        return
    st.markdown(f"**Before and after**, on the snapshot's {comparison.videos} validation videos: mAP@0.5 "
                f"{100 * comparison.before_map50:.1f} → {100 * comparison.after_map50:.1f}")

    def points(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    st.dataframe(pd.DataFrame([{"class": r.label, "events": r.ground_truth, "AP@0.5 before": points(r.before_ap50),
                                "AP@0.5 after": points(r.after_ap50), "AP avg before": points(r.before_avg),
                                "AP avg after": points(r.after_avg)} for r in comparison.rows]),
                 hide_index=True, key="train_comparison")


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
    output_dir = Path(state.params["output_dir"])
    checkpoint = best_checkpoint(output_dir)
    if checkpoint is None:
        st.warning("Training finished without a checkpoint.")
        return
    added = read_header(checkpoint).get("metadata", {}).get("added_classes") or []
    if added:
        st.markdown("The new model adds " + ", ".join(f"**{name}**" for name in added) + " to its classes.")
    comparison_panel(state, output_dir, checkpoint)
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
            threshold, _ = common.shown_proposals()
            shown = [b for b in bars if b.score >= threshold]
            plotly_chart(timeline_figure(shown, video.duration, class_order=store.class_names()), key="compare_chart")
            st.dataframe(pd.DataFrame([r for r in rows if r["score"] >= threshold]), hide_index=True)
        except ValueError as error:
            common.show_error(error)
