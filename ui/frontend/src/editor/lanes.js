// The class lanes: one row per class, bars for the events (one slot per layer present), drawn inside wavesurfer's
// scrolling wrapper so they share its zoom, scroll and time axis. Only bars near the visible span are in the DOM.
// Pointer gestures: click a bar (select; the playhead goes to its start, or to the edge clicked), drag its body or
// an edge (snapped, Shift for free), drag on an empty part of a lane (a new event of that class); on the axis,
// waveform and spectrogram a click or drag moves the playhead.

import { clamp, moveGesture, roundMicro, scoreOpacity } from "./model.js";

export const SLOT_H = 12;
const LANE_PAD = 3;
const DRAG_PX = 3;
const EDGE_SCROLL_PX = 24;

export const SHADOW_CSS = `
  .lanes { position: relative; width: 100%; }
  .row { position: absolute; left: 0; right: 0; border-top: 1px solid #e6e8eb; }
  .row:nth-child(even) { background: #f7f8fa; }
  .row.extra { background: repeating-linear-gradient(90deg, #fbfbfc 0 12px, #f3f4f6 12px 24px); }
  .bar { position: absolute; box-sizing: border-box; border-radius: 2px; cursor: grab; min-width: 2px;
         touch-action: none; }
  .bar.sel { outline: 2px solid #d62728; outline-offset: 1px; z-index: 3; opacity: 1 !important; }
  .bar.deleted { background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.75) 0 3px, transparent 3px 6px);
                 border: 1px dashed #555; }
  .bar .h { position: absolute; top: -2px; bottom: -2px; width: 6px; cursor: ew-resize; }
  .bar .h.s { left: -3px; } .bar .h.e { right: -3px; }
  .readonly .bar { cursor: pointer; }
  .ghost { position: absolute; background: rgba(255,127,14,.45); border: 1px dashed #b85c00; pointer-events: none; }
  .tip { position: absolute; top: -18px; transform: translateX(-50%); background: #262730; color: #fff;
         font: 11px/16px sans-serif; padding: 0 4px; border-radius: 3px; white-space: nowrap; pointer-events: none;
         z-index: 9; }
  .playhead { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid #d62728; z-index: 8;
              pointer-events: none; margin-left: -1px; }
  :host canvas.spec { position: static; display: block; width: 100%; }
`;

function element(tag, className, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (parent) parent.appendChild(node);
  return node;
}

export class Lanes {
  constructor(editor) {
    this.editor = editor;
    this.el = element("div", "lanes");
    this.bars = new Map();
    this.drag = null;
    this.tip = element("div", "tip");
    this.tip.hidden = true;
    this.queued = false;
  }

  /** Put the lanes into wavesurfer's wrapper (after its waveform and the spectrogram) and listen to it. */
  attach(wrapper) {
    wrapper.appendChild(this.el);
    wrapper.appendChild(this.tip);
    wrapper.addEventListener("pointerdown", (event) => this.pointerDown(event));
  }

  /** One row per lane, as tall as its packed rows (``packLanes``); ``extraLanes`` have no event yet. */
  layout(lanes, packing, extraLanes) {
    this.lanes = lanes;
    this.packing = packing;
    this.tops = [];
    this.heights = packing.rows.map((rows) => rows * SLOT_H + 2 * LANE_PAD);
    let top = 0;
    const rows = lanes.map((name, i) => {
      this.tops.push(top);
      const row = element("div", extraLanes.has(name) ? "row extra" : "row");
      row.dataset.lane = name;
      row.style.top = `${top}px`;
      row.style.height = `${this.heights[i]}px`;
      top += this.heights[i];
      return row;
    });
    this.el.style.height = `${Math.max(top, SLOT_H + 2 * LANE_PAD)}px`;
    for (const bar of this.bars.values()) bar.remove();
    this.bars.clear();
    this.el.replaceChildren(...rows);
  }

  /** Bars take the rows of a new packing without rebuilding the lanes (the same lanes, the same heights). */
  repack(packing) {
    this.packing = packing;
  }

  /** Redraw at the next frame (scroll and zoom fire many times a frame). */
  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  visibleSpan() {
    const ws = this.editor.ws;
    const width = this.el.clientWidth || 1;
    const duration = this.editor.view.duration;
    const from = (ws.getScroll() / width) * duration;
    const to = ((ws.getScroll() + ws.getWidth()) / width) * duration;
    return [from, to];
  }

  render() {
    const { view, events, selectedId, showDeleted, readOnly } = this.editor;
    if (!view || !this.lanes) return;
    const [from, to] = this.visibleSpan();
    const margin = (to - from) / 2;
    const laneIndex = new Map(this.lanes.map((name, i) => [name, i]));
    const keep = new Set();
    let shown = 0;
    for (const e of events) {
      if (e.end < from - margin || e.start > to + margin || (e.state === "deleted" && !showDeleted)) continue;
      if (!laneIndex.has(e.lane)) continue;
      if (this.drag && this.drag.id === e.id && this.drag.moved) {
        keep.add(e.id);
        continue;
      }
      keep.add(e.id);
      if (e.end >= from && e.start <= to) shown += 1;
      let bar = this.bars.get(e.id);
      if (!bar) {
        bar = element("div", "bar", this.el);
        bar.dataset.id = e.id;
        if (!readOnly) {
          element("i", "h s", bar);
          element("i", "h e", bar);
        }
        this.bars.set(e.id, bar);
      }
      // Only bars that changed are touched: a gesture restyles one or two of 2,000, not all of them.
      const row = this.packing.row.get(e.id) ?? 0;
      const signature = `${e.start}|${e.end}|${e.lane}|${row}|${e.layer}|${e.state}|${e.score}|${e.id === selectedId}`;
      if (bar.dataset.signature === signature) continue;
      bar.dataset.signature = signature;
      this.place(bar, e, laneIndex.get(e.lane));
      bar.classList.toggle("sel", e.id === selectedId);
      bar.classList.toggle("deleted", e.state === "deleted");
      bar.title = `#${e.id} ${e.lane} ${e.start.toFixed(2)}–${e.end.toFixed(2)} s · ${e.state}` +
        (e.score === null ? "" : ` · score ${e.score.toFixed(2)}`);
    }
    for (const [id, bar] of this.bars) {
      if (!keep.has(id)) {
        bar.remove();
        this.bars.delete(id);
      }
    }
    this.el.classList.toggle("readonly", readOnly);
    this.editor.shownInView = shown;
  }

  place(bar, e, lane, start = e.start, end = e.end) {
    const duration = this.editor.view.duration;
    const [name, colour] = this.editor.view.layers[e.layer];
    bar.dataset.layer = name;
    bar.style.left = `${(start / duration) * 100}%`;
    bar.style.width = `${((end - start) / duration) * 100}%`;
    bar.style.top = `${this.tops[lane] + LANE_PAD + (this.packing.row.get(e.id) ?? 0) * SLOT_H}px`;
    bar.style.height = `${SLOT_H - 2}px`;
    bar.style.background = colour;
    bar.style.opacity = String(scoreOpacity(e.score) * (e.state === "deleted" ? 0.6 : 1));
  }

  timeAt(clientX) {
    const rect = this.el.getBoundingClientRect();
    return clamp(((clientX - rect.left) / (rect.width || 1)) * this.editor.view.duration, 0, this.editor.view.duration);
  }

  laneAt(clientY) {
    const y = clientY - this.el.getBoundingClientRect().top;
    const index = this.tops.findIndex((top, i) => y >= top && y < top + this.heights[i]);
    return index >= 0 ? this.lanes[index] : null;
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    const path = event.composedPath();
    // The selection's region on the waveform drags and resizes itself (wavesurfer's regions plugin).
    if (path.some((node) => node.getAttribute && /(^| )region/.test(node.getAttribute("part") || ""))) return;
    event.preventDefault();
    this.editor.focus();
    const barEl = path.find((node) => node.classList && node.classList.contains("bar"));
    const handle = path.find((node) => node.classList && node.classList.contains("h"));
    const inLanes = path.includes(this.el);
    const event0 = barEl ? this.editor.eventById(Number(barEl.dataset.id)) : null;
    const mode = !inLanes ? "scrub" : event0 ? (handle ? (handle.classList.contains("s") ? "start" : "end") : "body")
      : "create";
    this.drag = {
      mode, id: event0 ? event0.id : null, event: event0, bar: barEl, lane: this.laneAt(event.clientY),
      x0: event.clientX, t0: this.timeAt(event.clientX), moved: false, start: null, end: null,
    };
    if (mode === "scrub") this.editor.seek(this.timeAt(event.clientX), !event.shiftKey);
    const move = (e) => this.pointerMove(e);
    const up = (e) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      this.pointerUp(e);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  pointerMove(event) {
    const drag = this.drag;
    if (!drag) return;
    this.autoScroll(event.clientX);
    const t = this.timeAt(event.clientX);
    if (drag.mode === "scrub") {
      this.editor.seek(t, !event.shiftKey);
      return;
    }
    if (!drag.moved && Math.abs(event.clientX - drag.x0) < DRAG_PX) return;
    if (this.editor.readOnly) return;
    drag.moved = true;
    const snap = (seconds) => this.editor.snap(seconds, event.shiftKey);
    const { duration, min_length: minLength } = this.editor.view;
    const e = drag.event;
    if (drag.mode === "body") {
      const length = e.end - e.start;
      drag.start = clamp(snap(e.start + t - drag.t0), 0, duration - length);
      drag.end = drag.start + length;
    } else if (drag.mode === "start") {
      drag.start = Math.min(snap(t), roundMicro(e.end - minLength));
      drag.end = e.end;
    } else if (drag.mode === "end") {
      drag.start = e.start;
      drag.end = Math.max(snap(t), roundMicro(e.start + minLength));
    } else {
      const a = snap(drag.t0);
      const b = snap(t);
      drag.start = Math.min(a, b);
      drag.end = Math.max(a, b);
    }
    this.preview(drag, event.clientX);
  }

  preview(drag, clientX) {
    const lanes = new Map(this.lanes.map((name, i) => [name, i]));
    if (drag.mode === "create") {
      if (!drag.ghost) drag.ghost = element("div", "ghost", this.el);
      const duration = this.editor.view.duration;
      const lane = lanes.get(drag.lane) ?? 0;
      drag.ghost.style.left = `${(drag.start / duration) * 100}%`;
      drag.ghost.style.width = `${((drag.end - drag.start) / duration) * 100}%`;
      drag.ghost.style.top = `${this.tops[lane] + LANE_PAD}px`;
      drag.ghost.style.height = `${this.heights[lane] - 2 * LANE_PAD}px`;
    } else {
      delete drag.bar.dataset.signature;
      this.place(drag.bar, drag.event, lanes.get(drag.event.lane), drag.start, drag.end);
      this.editor.previewRegion(drag.event, drag.start, drag.end);
    }
    const edge = drag.mode === "start" || drag.mode === "body" ? drag.start : drag.end;
    const rect = this.el.getBoundingClientRect();
    this.tip.hidden = false;
    this.tip.style.left = `${clientX - rect.left}px`;
    this.tip.style.top = `${this.el.offsetTop - 18}px`;
    this.tip.textContent = drag.mode === "create" || drag.mode === "body"
      ? `${drag.start.toFixed(3)}–${drag.end.toFixed(3)} s` : `${edge.toFixed(3)} s`;
  }

  pointerUp(event) {
    const drag = this.drag;
    this.drag = null;
    this.tip.hidden = true;
    if (!drag) return;
    if (drag.ghost) drag.ghost.remove();
    if (drag.mode === "scrub") return;
    if (!drag.moved) {
      if (drag.event) {
        const at = drag.mode === "end" ? drag.event.end : drag.event.start;
        this.editor.select(drag.event.id, at);
      } else {
        this.editor.seek(drag.t0, !event.shiftKey);
      }
      return;
    }
    const e = drag.event;
    if (drag.mode === "create") {
      if (drag.lane && drag.end - drag.start >= Math.max(this.editor.view.min_length, 1e-6)) {
        this.editor.gesture({ kind: "add", label: drag.lane, start: drag.start, end: drag.end });
      }
    } else if (drag.start !== e.start || drag.end !== e.end) {
      this.editor.gesture(moveGesture(e, drag.start, drag.end));
    }
    this.render();
  }

  /** Dragging past the visible edge scrolls the timeline that way. */
  autoScroll(clientX) {
    const ws = this.editor.ws;
    const scroller = ws.getWrapper().parentElement.getBoundingClientRect();
    if (clientX < scroller.left) ws.setScroll(ws.getScroll() - EDGE_SCROLL_PX);
    else if (clientX > scroller.right) ws.setScroll(ws.getScroll() + EDGE_SCROLL_PX);
  }
}
