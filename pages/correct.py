"""Correct: select an event (timeline, list or table), then nudge, snap, split, merge, relabel, accept/reject,
delete, undo/redo, add, bulk-accept. Each gesture is one store operation at once (append-only revisions); the editor
is a fragment, so an edit reruns only it."""

from dataclasses import dataclass

import streamlit as st

from storage import REVIEW_STATUSES, ConflictError, GestureView
from studio import editing
from studio.runs import timeline_events
from studio.segments import nudge_step
from studio.viz import timeline_figure
from ui import common

st.header("Correct")
video = common.require_video()
store = common.store()
video_id, duration = video.video_id, video.duration
MESSAGE_KEY = "correct_message"
TABLE_VERSION = "correct_table_version"
PICK_KEY = "correct_pick"
classes = store.class_names()

status = next(v.review_status for v in store.list_videos() if v.video_id == video_id)
st.session_state["review_status"] = status
st.selectbox("Review status of this video", REVIEW_STATUSES, key="review_status",
             on_change=lambda: store.set_review(video_id, st.session_state["review_status"]))


@dataclass(frozen=True)
class WidgetValue:
    """A callback argument read from the widget ``key`` when the click arrives: a value captured while drawing is
    stale when the widget changed in the same rerun as the click (a class picked, then Relabel at once)."""

    key: str


def act(action, *args) -> None:
    """Run one store operation from a button callback; remember its outcome for the next draw."""
    try:
        result = action(*(st.session_state[a.key] if isinstance(a, WidgetValue) else a for a in args))
        st.session_state[MESSAGE_KEY] = ("success", describe(result))
    except ConflictError as error:
        st.session_state[MESSAGE_KEY] = ("warning", f"Another session changed this event: {error}")
    except ValueError as error:
        st.session_state[MESSAGE_KEY] = ("error", str(error))
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1


def act_on_picked(event_id: int, action, *args) -> None:
    """``act`` for a button drawn for event ``event_id``. A click sent before the page redrew after another pick
    carries the buttons' old event; it changes nothing and says so, rather than edit an event no longer selected."""
    picked = st.session_state.get(PICK_KEY)
    if picked != event_id:
        st.session_state[MESSAGE_KEY] = ("warning", f"The selection changed to #{picked} before this click arrived: "
                                                    "nothing was changed. Click again.")
        return
    act(action, *args)


def describe(result) -> str:
    if isinstance(result, GestureView):
        return f"{result.count} events: {result.action.replace('_', ' ')}"
    if isinstance(result, tuple):
        return "split into " + " and ".join(f"{e.start:.2f}–{e.end:.2f} s" for e in result)
    if result is None:
        return "saved"
    if isinstance(result, str):
        return result
    return f"event {result.event_id}: {result.label} {result.start:.2f}–{result.end:.2f} s ({result.state})"


def table_changed(rows, key: str) -> None:
    edits = editing.TableEdits.from_state(st.session_state.get(key))
    if not edits.empty:
        act(lambda: "; ".join(editing.apply_table_edits(store, video_id, rows, edits)) or None)


@st.fragment
def editor() -> None:
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        kind, text = message
        getattr(st, kind)(text if isinstance(text, str) else str(text))
    events = store.current_events(video_id)
    bars = timeline_events(events)
    selected_id = st.session_state.get(common.EVENT_KEY)
    event = next((e for e in events if e.event_id == selected_id), None)

    st.plotly_chart(timeline_figure(bars, duration, class_order=classes,
                                    selected_event_id=event.event_id if event else None),
                    on_select=common.remember_chart_selection("correct_chart"), selection_mode=("points", "box"),
                    key="correct_chart")
    if events:
        ids = [e.event_id for e in events]
        names = {e.event_id: f"#{e.event_id} {e.label} · {e.start:.2f}–{e.end:.2f} s · {e.state}"
                 + (f" · {e.score:.2f}" if e.score is not None else "") for e in events}
        on_pick = common.bind(PICK_KEY, common.EVENT_KEY, ids, ids[0])
        st.selectbox("Selected event", ids, format_func=names.get, key=PICK_KEY, on_change=on_pick)
        event = next(e for e in events if e.event_id == st.session_state[PICK_KEY])
        st.session_state[common.EVENT_KEY] = event.event_id

    if event is not None:
        def on_event(action, *args) -> dict:
            return {"on_click": act_on_picked, "args": (event.event_id, action, *args)}

        fps = video.fps or store.grid.fps
        st.caption(f"Revision {event.rev_no} by {event.author} · frames {round(event.start * fps)}–"
                   f"{round(event.end * fps)} at {fps:g} fps · origin {event.origin}")
        step_name = f"one grid step ({store.grid.hop_seconds:.2f} s)"
        st.radio("Nudge by", ["frame", "step"], horizontal=True, key="nudge_unit",
                 format_func=lambda u: "one frame" if u == "frame" else step_name)

        def nudge(edge: str, sign: int, unit: str):
            return editing.nudge_event(store, event, edge, sign * nudge_step(unit, store.grid, video.fps),
                                       duration)

        cols = st.columns(6)
        for col, (label, edge, sign, key) in zip(cols, [
            ("◀ start", "start", -1, "nudge_start_left"), ("start ▶", "start", 1, "nudge_start_right"),
            ("◀ end", "end", -1, "nudge_end_left"), ("end ▶", "end", 1, "nudge_end_right"),
            ("◀ move", "both", -1, "nudge_both_left"), ("move ▶", "both", 1, "nudge_both_right"),
        ]):
            col.button(label, key=key, **on_event(nudge, edge, sign, WidgetValue("nudge_unit")))
        c1, c2, c3 = st.columns(3)
        c1.number_input("Snap tolerance (s)", 0.0, 10.0, 0.5, 0.05, key="snap_tolerance")
        tolerance = WidgetValue("snap_tolerance")
        c2.button("Snap to neighbours", key="snap_neighbours",
                  **on_event(editing.snap_event, store, event, events, None, duration, tolerance))
        c3.button("Snap to neighbours, else grid", key="snap_grid",
                  **on_event(editing.snap_event, store, event, events, store.grid, duration, tolerance))

        c1, c2 = st.columns(2)
        split_at = f"split_at_{event.event_id}_{event.rev_no}"
        c1.number_input("Split at (s)", 0.0, float(duration), float((event.start + event.end) / 2), 0.04, key=split_at)
        c1.button("Split", key="split", **on_event(editing.split, store, event, WidgetValue(split_at)))
        others = [e for e in events if e.event_id != event.event_id]
        if others:
            c2.selectbox("Merge with", others, key="merge_other",
                         format_func=lambda e: f"#{e.event_id} {e.label} {e.start:.2f}–{e.end:.2f} s")
            c2.button("Merge", key="merge", **on_event(editing.merge, store, event, WidgetValue("merge_other")))
        c1, c2 = st.columns([2, 1])
        relabel_to = f"relabel_{event.event_id}_{event.rev_no}"
        c1.selectbox("Class", classes, index=classes.index(event.label) if event.label in classes else 0,
                     key=relabel_to)
        c2.button("Relabel", key="relabel",
                  **on_event(editing.relabel, store, event, WidgetValue(relabel_to)))
        can_undo, can_redo = store.can_undo_redo(event.event_id)
        cols = st.columns(6)
        deleted = event.state == "deleted"
        cols[0].button("Accept", key="accept", **on_event(editing.accept, store, event))
        cols[1].button("Reject", key="reject", **on_event(editing.reject, store, event))
        cols[2].button("Delete", key="delete", **on_event(editing.delete, store, event), disabled=deleted)
        cols[3].button("Undo", key="undo", **on_event(editing.undo, store, event), disabled=not can_undo)
        cols[4].button("Redo", key="redo", **on_event(editing.redo, store, event), disabled=not can_redo)
        with st.expander("History of this event"):
            st.dataframe([{"rev": r.rev_no, "action": r.action, "start": r.start, "end": r.end, "label": r.label,
                           "state": r.state, "author": r.author, "when": r.created_at, "note": r.note}
                          for r in store.history(event.event_id)], hide_index=True)

    st.subheader("Add an event")
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    new_label = c1.selectbox("Class", classes, key="add_label")
    c2.number_input("Start (s)", 0.0, float(duration), 0.0, 0.04, key="add_start")
    c3.number_input("End (s)", 0.0, float(duration), min(1.0, float(duration)), 0.04, key="add_end")
    c4.button("Add", key="add", on_click=act, args=(editing.add_event, store, video_id, WidgetValue("add_start"),
                                                    WidgetValue("add_end"), WidgetValue("add_label")))
    box = st.session_state.get(common.BOX_KEY)
    if box:
        st.button(f"Add {new_label} over the box selection {min(box):.2f}–{max(box):.2f} s", key="add_box",
                  on_click=act, args=(editing.add_from_box, store, video_id, box, WidgetValue("add_label"), duration))

    c1, c2 = st.columns([3, 1])
    c1.slider("Accept every proposed event scoring at least", 0.0, 1.0, 0.5, 0.01, key="bulk_threshold")
    c2.button("Bulk accept", key="bulk_accept", on_click=act,
              args=(editing.bulk_accept, store, video_id, WidgetValue("bulk_threshold")))

    st.subheader("Events table")
    rows = events
    key = f"event_table_{st.session_state.get(TABLE_VERSION, 0)}"
    st.data_editor(
        [{"event": e.event_id, "label": e.label, "start": e.start, "end": e.end, "score": e.score, "state": e.state}
         for e in rows],
        key=key, num_rows="dynamic", hide_index=True, on_change=table_changed, args=(rows, key),
        column_config={
            "event": st.column_config.NumberColumn(disabled=True),
            "label": st.column_config.SelectboxColumn(options=classes, required=True),
            "start": st.column_config.NumberColumn(min_value=0.0, max_value=float(duration), step=0.01, format="%.2f"),
            "end": st.column_config.NumberColumn(min_value=0.0, max_value=float(duration), step=0.01, format="%.2f"),
            "score": st.column_config.NumberColumn(disabled=True, format="%.3f"),
            "state": st.column_config.TextColumn(disabled=True),
        },
    )


editor()
