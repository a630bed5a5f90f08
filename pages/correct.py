"""Correct: the proposals the Timeline shows (score threshold, top-k), best first. Select an event (timeline, picker
or its exact number), then type its times, nudge it (a frame, a grid step or a typed amount), snap, split, merge
with the nearest, relabel, accept/reject, delete and restore; undo/redo this session's gestures whatever the event
(or one event's history); add events; accept or reject the proposals above or below a score in bulk. Each gesture
is one store operation at once (append-only revisions); the editor is a fragment, so an edit reruns only it. The
timeline editor on top (``ui.timeline_editor``: the video, waveform and lanes) does the same by mouse and keys."""

from dataclasses import dataclass

import streamlit as st

from storage import REVIEW_STATUSES, ConflictError, EventView, GestureView, NotFoundError
from studio import editing
from studio.gestures import Gesture, Outcome, apply_gesture
from studio.segments import NUDGE_UNITS, Interval, gap, nudge_step, shown_events
from studio.viz.editor import editor_view
from ui import common
from ui.timeline_editor import audio_of, timeline_editor

st.header("Correct")
video = common.require_video()
store = common.store()
video_id, duration = video.video_id, video.duration
fps = video.fps or store.grid.fps
MESSAGE_KEY = "correct_message"
TABLE_VERSION = "correct_table_version"
PICK_KEY = "correct_pick"
GOTO_KEY = "correct_goto"
SHOW_DELETED_KEY = "show_deleted"
DELETED_PICK_KEY = "deleted_pick"
classes = store.class_names()
edits = common.edit_session()
audio = audio_of(video)

status = next(v.review_status for v in store.list_videos() if v.video_id == video_id)
st.session_state["review_status"] = status
c1, c2, c3 = st.columns([2, 2, 1])
c1.selectbox("Review status of this video", REVIEW_STATUSES, key="review_status",
             on_change=lambda: store.set_review(video_id, st.session_state["review_status"]))
threshold, top_k = common.proposal_controls(c2, c3)


@dataclass(frozen=True)
class WidgetValue:
    """A callback argument read from the widget ``key`` when the click arrives: a value captured while drawing is
    stale when the widget changed in the same rerun as the click (a class picked, then Relabel at once)."""

    key: str


def _value(argument):
    return st.session_state[argument.key] if isinstance(argument, WidgetValue) else argument


def say(kind: str, text: str) -> None:
    """A message for the next draw of the editor."""
    st.session_state[MESSAGE_KEY] = (kind, text)


def act(action, *args, **kwargs) -> None:
    """Run one store operation from a button callback; remember its outcome for the next draw. An event it returns
    that is not the selected one (an added or restored event) becomes the selection."""
    try:
        result = action(*map(_value, args), **{name: _value(v) for name, v in kwargs.items()})
        say("success", describe(result))
        if isinstance(result, EventView) and result.state != "deleted":
            st.session_state[common.EVENT_KEY] = result.event_id
    except ConflictError as error:
        say("warning", f"Another session changed this event: {error}")
    except ValueError as error:
        say("error", str(error))
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1


def act_on_picked(event_id: int, action, *args, **kwargs) -> None:
    """``act`` for a button drawn for event ``event_id``. A click sent before the page redrew after another pick
    carries the buttons' old event; it changes nothing and says so, rather than edit an event no longer selected."""
    picked = st.session_state.get(PICK_KEY)
    if picked != event_id:
        say("warning", f"The selection changed to #{picked} before this click arrived: nothing was changed. "
                       "Click again.")
        return
    act(action, *args, **kwargs)


GESTURE_WORDS = {"bulk_accept": "accepted", "bulk_reject": "rejected", "undo": "undid the {subject} of",
                 "redo": "redid the {subject} of"}


def describe(result) -> str:
    if isinstance(result, GestureView):
        if result.gesture_id is None:
            return "Nothing to change: no proposal in that score range."
        ids = ", ".join(f"#{e.event_id}" for e in result.events[:8]) + (" …" if result.count > 8 else "")
        verb = GESTURE_WORDS.get(result.action, result.action).format(subject=result.subject.replace("_", " "))
        return f"{verb.capitalize()} {result.count} event{'s' if result.count > 1 else ''}: {ids}"
    if isinstance(result, tuple):
        return "Split into " + " and ".join(f"#{e.event_id} {e.start:.2f}–{e.end:.2f} s" for e in result)
    if result is None:
        return "Saved."
    if isinstance(result, str):
        return common.plain(result)
    label = common.plain(result.label)
    return f"event {result.event_id}: {label} {result.start:.2f}–{result.end:.2f} s ({result.state})"


def label_of(event: EventView) -> str:
    """The picker's text: it starts with the number, so typing "#20 " lists #20 alone, and "#20" #20, #200, ...,
    never #19."""
    score = f" · {event.score:.2f}" if event.score is not None else ""
    return f"#{event.event_id} {event.label} · {event.start:.2f}–{event.end:.2f} s · {event.state}{score}"


def go_to(shown_ids: set[int]) -> None:
    """Select the event whose number was typed, exactly; say where it is when it cannot be selected here."""
    text = st.session_state.get(GOTO_KEY, "")
    st.session_state[GOTO_KEY] = ""
    if not text.strip():
        return
    try:
        number = editing.parse_event_id(text)
    except ValueError as error:
        say("error", str(error))
        return
    try:
        wanted = store.event(number)
    except NotFoundError:
        say("error", f"There is no event #{number}.")
        return
    if wanted.video_id != video_id:
        say("warning", f"Event #{wanted.event_id} belongs to another video: pick that video at the top first.")
    elif wanted.state == "deleted":
        st.session_state[SHOW_DELETED_KEY] = True
        st.session_state[DELETED_PICK_KEY] = wanted.event_id
        say("info", f"Event #{wanted.event_id} is deleted: restore it under *Deleted events* below.")
    else:
        st.session_state[common.EVENT_KEY] = wanted.event_id
        if wanted.event_id not in shown_ids:
            say("info", f"Event #{wanted.event_id} scores {wanted.score:.2f}, under the threshold or outside the top-"
                        f"{top_k}: it is selected here but not drawn on the timeline.")


def table_changed(rows, key: str) -> None:
    table = editing.TableEdits.from_state(st.session_state.get(key))
    if not table.empty:
        act(lambda: "; ".join(editing.apply_table_edits(store, video_id, rows, table, session=edits)) or None)


def session_bar() -> None:
    """Undo and redo over this browser session's gestures, whatever event they touched."""
    undo_step, redo_step = edits.next_undo, edits.next_redo
    c1, c2, _ = st.columns([2, 2, 3])
    c1.button(f"↶ Undo: {undo_step.description}" if undo_step else "↶ Undo", key="session_undo",
              disabled=undo_step is None, on_click=act, args=(edits.undo, store))
    c2.button(f"↷ Redo: {redo_step.description}" if redo_step else "↷ Redo", key="session_redo",
              disabled=redo_step is None, on_click=act, args=(edits.redo, store))


def event_panel(event: EventView, shown: list[EventView]) -> None:
    """Every gesture on the selected event."""

    def on_event(action, *args, **kwargs) -> dict:
        return {"on_click": act_on_picked, "args": (event.event_id, action, *args), "kwargs": kwargs}

    st.caption(f"Revision {event.rev_no} by {common.plain(event.author)} · frames {round(event.start * fps)}–"
               f"{round(event.end * fps)} at {fps:g} fps · origin {event.origin} · last change: {event.action}")
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    start_key, end_key = f"start_{event.event_id}_{event.rev_no}", f"end_{event.event_id}_{event.rev_no}"
    c1.number_input("Start (s)", 0.0, float(duration), float(event.start), 1 / fps, format="%.3f", key=start_key)
    c2.number_input("End (s)", 0.0, float(duration), float(event.end), 1 / fps, format="%.3f", key=end_key)
    c3.button("Set times", key="set_times",
              **on_event(editing.move_to, store, event, WidgetValue(start_key), WidgetValue(end_key), session=edits))

    units = {"frame": f"one frame (1/{fps:g} s)", "step": f"one grid step ({store.grid.hop_seconds:.2f} s)",
             "amount": "this amount"}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.radio("Nudge by", NUDGE_UNITS, horizontal=True, key="nudge_unit", format_func=units.get)
    c2.number_input("Amount (s)", 0.001, float(duration), 0.5, 0.01, format="%.3f", key="nudge_amount")

    def nudge(edge: str, sign: int, unit: str, amount: float):
        delta = sign * nudge_step(unit, store.grid, video.fps, amount)
        return editing.nudge_event(store, event, edge, delta, duration, session=edits)

    for col, (label, edge, sign, key) in zip(st.columns(6), [
        ("◀ start", "start", -1, "nudge_start_left"), ("start ▶", "start", 1, "nudge_start_right"),
        ("◀ end", "end", -1, "nudge_end_left"), ("end ▶", "end", 1, "nudge_end_right"),
        ("◀ move", "both", -1, "nudge_both_left"), ("move ▶", "both", 1, "nudge_both_right"),
    ]):
        col.button(label, key=key,
                   **on_event(nudge, edge, sign, WidgetValue("nudge_unit"), WidgetValue("nudge_amount")))
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    c1.number_input("Snap tolerance (s)", 0.0, 10.0, 0.5, 0.05, key="snap_tolerance")
    tolerance = WidgetValue("snap_tolerance")
    c2.button("Snap to neighbours", key="snap_neighbours",
              **on_event(editing.snap_event, store, event, shown, None, duration, tolerance, session=edits))
    c3.button("Snap to neighbours, else grid", key="snap_grid",
              **on_event(editing.snap_event, store, event, shown, store.grid, duration, tolerance, session=edits))

    c1, c2 = st.columns(2, vertical_alignment="bottom")
    split_at = f"split_at_{event.event_id}_{event.rev_no}"
    c1.number_input("Split at (s)", 0.0, float(duration), float((event.start + event.end) / 2), 1 / fps,
                    format="%.3f", key=split_at)
    c1.button("Split", key="split", **on_event(editing.split, store, event, WidgetValue(split_at), session=edits))
    span = Interval(event.start, event.end)
    gaps = {e.event_id: gap(span, Interval(e.start, e.end)) for e in shown if e.event_id != event.event_id}
    if gaps:  # nearest first (then the closest centre): the natural partner is the default
        by_id = {e.event_id: e for e in shown}
        order = sorted(gaps, key=lambda i: (gaps[i], abs(by_id[i].start + by_id[i].end - span.start - span.end)))
        merge_key = f"merge_with_{event.event_id}"
        c2.selectbox("Merge with", order, key=merge_key, filter_mode="prefix",
                     format_func=lambda i: f"{label_of(by_id[i])} · {gaps[i]:.2f} s away")
        c2.button("Merge", key="merge", **on_event(lambda other: editing.merge(store, event, by_id[other],
                                                                               session=edits), WidgetValue(merge_key)))
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    relabel_to = f"relabel_{event.event_id}_{event.rev_no}"
    c1.selectbox("Class", classes, index=classes.index(event.label) if event.label in classes else 0, key=relabel_to)
    c2.button("Relabel", key="relabel",
              **on_event(editing.relabel, store, event, WidgetValue(relabel_to), session=edits))
    can_undo, can_redo = store.can_undo_redo(event.event_id)
    cols = st.columns(5)
    cols[0].button("Accept", key="accept", **on_event(editing.accept, store, event, session=edits))
    cols[1].button("Reject", key="reject", **on_event(editing.reject, store, event, session=edits))
    cols[2].button("Delete", key="delete", **on_event(editing.delete, store, event, session=edits))
    # no help= on these buttons: Streamlit then renders each twice (a tooltip copy), and a key names two buttons
    cols[3].button("Undo on this event", key="undo", disabled=not can_undo,
                   **on_event(editing.undo, store, event, session=edits))
    cols[4].button("Redo on this event", key="redo", disabled=not can_redo,
                   **on_event(editing.redo, store, event, session=edits))
    with st.expander("History of this event"):
        st.dataframe([{"rev": r.rev_no, "action": r.action, "start": r.start, "end": r.end, "label": r.label,
                       "state": r.state, "author": r.author, "when": r.created_at, "gesture": r.gesture_id,
                       "note": r.note} for r in store.history(event.event_id)], hide_index=True)


def deleted_panel() -> None:
    """Nothing is lost: every deleted event of the video, and Restore."""
    deleted = store.current_events(video_id, states=["deleted"])
    if not deleted:
        st.caption("Nothing is deleted in this video.")
        return
    by_id = {e.event_id: e for e in deleted}
    if st.session_state.get(DELETED_PICK_KEY) not in by_id:
        st.session_state[DELETED_PICK_KEY] = deleted[0].event_id
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.selectbox("Deleted event", list(by_id), key=DELETED_PICK_KEY, filter_mode="prefix",
                 format_func=lambda i: label_of(by_id[i]))
    c2.button("Restore", key="restore", on_click=act,
              args=(lambda i: editing.restore(store, by_id[i], session=edits), WidgetValue(DELETED_PICK_KEY)))
    st.dataframe([{"event": e.event_id, "label": e.label, "start": e.start, "end": e.end, "score": e.score,
                   "deleted by": e.author, "when": e.updated_at, "note": e.note} for e in deleted], hide_index=True)


def on_gesture(gesture: Gesture) -> Outcome:
    """A gesture of the timeline editor: one operation, one step of this session's undo list."""
    outcome = apply_gesture(store, video_id, gesture, edits)
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1
    return outcome


@st.fragment
def editor() -> None:
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        kind, text = message
        getattr(st, kind)(text)
    session_bar()
    events = store.current_events(video_id)
    shown = shown_events(events, threshold, top_k)
    st.caption(f"{len(shown)} of {len(events)} events: the proposals scoring {threshold:.2f} or more (at most "
               f"{top_k}, best first) and every annotation. The threshold is the Timeline's.")
    selected_id = st.session_state.get(common.EVENT_KEY)
    event = next((e for e in events if e.event_id == selected_id), None)

    chart = st.container()  # the timeline editor, drawn below once the selection is settled
    options = shown + ([event] if event is not None and event not in shown else [])
    if options:
        names = {e.event_id: label_of(e) for e in options}
        ids = list(names)
        on_pick = common.bind(PICK_KEY, common.EVENT_KEY, ids, ids[0])  # nothing picked yet: the best proposal
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        c1.selectbox("Selected event", ids, format_func=names.get, key=PICK_KEY, on_change=on_pick,
                     filter_mode="prefix", help="Type #209 to list event 209 (entries match from their start).")
        c2.text_input("Go to event", key=GOTO_KEY, placeholder="#209", on_change=go_to,
                      args=({e.event_id for e in shown},), help="Exactly this number, nothing near it.")
        event = next(e for e in options if e.event_id == st.session_state[PICK_KEY])
        st.session_state[common.EVENT_KEY] = event.event_id
        event_panel(event, shown)
    elif events:
        st.info(f"No proposal scores {threshold:.2f} or more: lower the score threshold above to review weaker ones.")
    deleted = store.current_events(video_id, states=["deleted"]) if st.session_state.get(SHOW_DELETED_KEY) else []
    with chart:
        timeline_editor(editor_view(options + deleted, duration, fps=fps, grid=store.grid, classes=classes,
                                    min_length=store.min_event_seconds, audio=audio,
                                    extra_lane=st.session_state.get("add_label", classes[0] if classes else None)),
                        key="correct_editor", video=video, on_gesture=on_gesture, show_deleted=bool(deleted))

    st.subheader("Add an event")
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    c1.selectbox("Class", classes, key="add_label")
    c2.number_input("Start (s)", 0.0, float(duration), 0.0, 1 / fps, format="%.3f", key="add_start")
    c3.number_input("End (s)", 0.0, float(duration), min(1.0, float(duration)), 1 / fps, format="%.3f",
                    key="add_end")
    c4.button("Add", key="add", on_click=act, args=(editing.add_event, store, video_id, WidgetValue("add_start"),
                                                    WidgetValue("add_end"), WidgetValue("add_label")),
              kwargs={"session": edits})

    st.subheader("Review the proposals in bulk")
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    bulk = c1.slider("Score", 0.0, 1.0, threshold, 0.01, key="bulk_threshold",
                     help="Starts at the score threshold. Reviewed events (accepted, edited, added) are left alone.")
    c2.button(f"Accept proposals ≥ {bulk:.2f}", key="bulk_accept", on_click=act, kwargs={"session": edits},
              args=(editing.bulk_accept, store, video_id, WidgetValue("bulk_threshold")))
    c3.button(f"Reject proposals < {bulk:.2f}", key="bulk_reject", on_click=act, kwargs={"session": edits},
              args=(editing.bulk_reject, store, video_id, WidgetValue("bulk_threshold")))

    st.subheader("Deleted events")
    if st.toggle("Show deleted events", key=SHOW_DELETED_KEY):
        deleted_panel()

    st.subheader("Events table")
    rows = sorted(shown, key=lambda e: (e.start, e.end, e.event_id))
    key = f"event_table_{st.session_state.get(TABLE_VERSION, 0)}"
    st.data_editor(
        [{"event": e.event_id, "label": e.label, "start": e.start, "end": e.end, "score": e.score, "state": e.state}
         for e in rows],
        key=key, num_rows="dynamic", hide_index=True, on_change=table_changed, args=(rows, key),
        column_config={
            "event": st.column_config.NumberColumn(disabled=True),
            "label": st.column_config.SelectboxColumn(options=classes, required=True),
            "start": st.column_config.NumberColumn(min_value=0.0, max_value=float(duration), step=0.01, format="%.3f"),
            "end": st.column_config.NumberColumn(min_value=0.0, max_value=float(duration), step=0.01, format="%.3f"),
            "score": st.column_config.NumberColumn(disabled=True, format="%.3f"),
            "state": st.column_config.TextColumn(disabled=True),
        },
    )


editor()
