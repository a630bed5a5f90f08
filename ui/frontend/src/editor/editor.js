// The timeline editor: the video, wavesurfer.js (waveform from the server's peaks, time axis, wheel zoom, the
// selected event as a draggable region), the spectrogram, the class lanes and one playhead over all of them.
// Every gesture goes to Python as one message; while it is on its way the editor shows its outcome (optimistic)
// and queues the next ones, so a fast sequence of keys is neither lost nor sent with a stale revision.

import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import TimelinePlugin from "wavesurfer.js/dist/plugins/timeline.esm.js";
import ZoomPlugin from "wavesurfer.js/dist/plugins/zoom.esm.js";

import { Lanes, SHADOW_CSS } from "./lanes.js";
import {
  applyLocally, axisIntervals, axisLabel, clamp, decodeEvents, formatTime, frameAt, laneNeighbour, moveGesture, packLanes,
  parseTime, snapTime, stepEvent,
} from "./model.js";
import { Picker } from "./picker.js";

const AXIS_H = 20;
const WAVE_H = 56;
const SPEC_H = 44;
const ANSWER_TIMEOUT_MS = 20000;
const EDIT_KINDS = new Set(["move", "add", "accept", "reject", "delete", "restore", "relabel", "split", "merge",
  "undo", "redo"]);
const SPECTRO = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
  [250, 193, 39], [252, 255, 164]];

function colourAt(level) {
  const x = (level / 255) * (SPECTRO.length - 1);
  const i = Math.min(SPECTRO.length - 2, Math.floor(x));
  const f = x - i;
  return SPECTRO[i].map((c, k) => Math.round(c + f * (SPECTRO[i + 1][k] - c)));
}

export class Editor {
  constructor(root, { send, resize }) {
    this.root = root;
    this.sendValue = send;
    this.resize = resize;
    this.instance = Math.random().toString(36).slice(2, 10);
    this.counter = 0;
    this.inFlight = null;
    this.queue = [];
    this.view = null;
    this.serverEvents = [];
    this.events = [];
    this.selectedId = null;
    this.playhead = 0;
    this.snapMode = "frame";
    this.loop = false;
    this.playUntil = null;
    this.showDeleted = false;
    this.extraLanes = new Set();
    this.notice = "";
    this.shownInView = 0;
    this.$ = (selector) => root.querySelector(selector);
    this.video = this.$("video");
    this.picker = new Picker(this.$(".picker"));
    this.lanes = new Lanes(this);
    this.bindControls();
    this.bindKeys();
    // Shift + wheel pans (the wheel alone zooms, wavesurfer's zoom plugin); captured before the plugin sees it.
    this.$(".wave").addEventListener("wheel", (event) => {
      if (!event.shiftKey || !this.ws) return;
      event.preventDefault();
      event.stopPropagation();
      this.ws.setScroll(this.ws.getScroll() + (event.deltaY || event.deltaX));
    }, { capture: true, passive: false });
    // The iframe as tall as the editor (the document's own height never shrinks below the iframe's).
    new ResizeObserver(() => this.resize(Math.ceil(root.getBoundingClientRect().bottom) + 4)).observe(root);
  }

  // ------------------------------------------------------------------------------------------- server messages
  update(args) {
    const started = performance.now();
    const view = args.view;
    const first = !this.view;
    const newVideo = !this.view || this.videoKey !== `${args.video_url}|${view.duration}`;
    this.view = view;
    this.readOnly = Boolean(args.read_only);
    this.showDeleted = Boolean(args.show_deleted);
    this.root.classList.toggle("readonly", this.readOnly);
    this.serverEvents = decodeEvents(view);
    if (this.inFlight && args.ack === this.inFlight.nonce) this.inFlight = null;
    if (!this.inFlight && !this.queue.some((g) => g.kind === "select")) this.selectedId = args.selected ?? null;
    if (args.notice) this.notice = args.notice;
    if (newVideo) this.loadVideo(args.video_url, view);
    this.setSubtitles(args.subtitles);
    this.refresh();
    this.flush();
    if (first) {
      // For the benchmark: ms from the first arguments to drawn, and from the iframe's navigation to drawn.
      requestAnimationFrame(() => {
        this.root.dataset.renderMs = String(Math.round(performance.now() - started));
        this.root.dataset.readyAt = String(Math.round(performance.now()));
        this.root.dataset.ready = "1";
      });
    }
  }

  /** The server's events with the gesture in flight (and the queued ones) shown as if done. */
  refresh() {
    let events = this.serverEvents;
    for (const g of [this.inFlight, ...this.queue].filter(Boolean)) events = applyLocally(events, g, this.view.layers);
    this.events = events.filter((e) => e.state !== "deleted" || this.showDeleted);
    this.byId = new Map(events.map((e) => [e.id, e]));
    const lanes = [...this.view.lanes];
    for (const name of [...this.extraLanes, ...this.events.map((e) => e.lane)]) {
      if (!lanes.includes(name)) lanes.push(name);
    }
    const packing = packLanes(this.events, lanes);
    const key = JSON.stringify([lanes, packing.rows]);
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      this.laneNames = lanes;
      this.lanes.layout(lanes, packing, new Set(lanes.filter((n) => !this.events.some((e) => e.lane === n))));
      this.drawLabels();
    } else {
      this.lanes.repack(packing);
    }
    this.lanes.render();
    this.syncRegion();
    this.drawPanel();
  }

  eventById(id) {
    return this.byId ? this.byId.get(id) || null : null;
  }

  get selected() {
    return this.eventById(this.selectedId);
  }

  // ------------------------------------------------------------------------------------------------ gestures
  /** Queue a gesture for Python (one at a time: the next leaves when the view that answers this one arrives). */
  gesture(g) {
    if (this.readOnly && g.kind !== "select") return;
    if (g.kind === "select") this.queue = this.queue.filter((q) => q.kind !== "select");
    this.queue.push(g);
    this.refresh();
    this.flush();
  }

  flush() {
    if (this.inFlight && performance.now() - this.inFlight.sentAt > ANSWER_TIMEOUT_MS) {
      this.notice = "The server did not answer the last gesture: it may not have been saved.";
      this.inFlight = null;
    }
    if (this.inFlight || !this.queue.length) return;
    const g = this.queue.shift();
    const message = { ...g, nonce: `${this.instance}:${++this.counter}` };
    for (const [id, rev] of [["event_id", "rev_no"], ["other_id", "other_rev"]]) {
      if (g[id] === undefined || g[id] === null) continue;
      const seen = this.serverEvents.find((e) => e.id === g[id]);
      if (!seen) {
        this.notice = `Event #${g[id]} is no longer shown; nothing was sent.`;
        this.refresh();
        return this.flush();
      }
      message[rev] = seen.rev;
    }
    for (const key of Object.keys(message)) {
      if (message[key] === null || message[key] === undefined) delete message[key];
    }
    this.inFlight = { ...g, nonce: message.nonce, sentAt: performance.now() };
    if (EDIT_KINDS.has(g.kind)) this.notice = "saving…";
    this.sendValue(message);
    this.drawPanel();
    setTimeout(() => this.flush(), ANSWER_TIMEOUT_MS + 100);
  }

  /** Select an event (null: none) and tell the page. A deleted one (drawn when the page shows them) is selected
   *  here only, to restore it: the page's selection is among the events that exist. */
  select(id, seekTo) {
    this.selectedId = id;
    const e = this.eventById(id);
    if (e && seekTo !== undefined) this.seek(seekTo, false);
    if (e) this.reveal(e);
    if (e && e.state === "deleted") {
      this.notice = `#${e.id} is deleted: press Delete (or Restore) to bring it back.`;
      this.refresh();
      return;
    }
    this.gesture({ kind: "select", event_id: id });
  }

  edit(kind, extra = {}) {
    const e = this.selected;
    if (!e) {
      this.notice = "Select an event first (click a bar, or Tab).";
      this.drawPanel();
      return;
    }
    this.gesture({ kind, event_id: e.id, ...extra });
  }

  setEdge(edge) {
    const e = this.selected;
    if (!e) return this.edit("move");
    const t = this.playhead;
    const min = this.view.min_length;
    if (edge === "start" ? t > e.end - min : t < e.start + min) {
      this.notice = `The ${edge} cannot go past the other edge (minimum length ${min.toFixed(2)} s).`;
      return this.drawPanel();
    }
    this.edit("move", edge === "start" ? { start: t } : { end: t });
  }

  deleteOrRestore() {
    const e = this.selected;
    if (e) this.edit(e.state === "deleted" ? "restore" : "delete");
    else this.edit("delete");
  }

  merge(step) {
    const e = this.selected;
    const other = e && laneNeighbour(this.events, e, step);
    if (!e) return this.edit("merge");
    if (!other) {
      this.notice = `No ${step > 0 ? "next" : "previous"} event in this lane to merge with.`;
      return this.drawPanel();
    }
    this.edit("merge", { other_id: other.id });
  }

  split() {
    const e = this.selected;
    if (e && !(this.playhead > e.start && this.playhead < e.end)) {
      this.notice = "Put the playhead inside the selected event to split it there.";
      return this.drawPanel();
    }
    this.edit("split", { at: this.playhead });
  }

  relabel() {
    const e = this.selected;
    if (!e) return this.edit("relabel");
    this.picker.open(`Relabel #${e.id} as…`, this.view.classes, e.lane, (label) => {
      if (label !== e.lane) this.edit("relabel", { label });
    });
  }

  addLane() {
    this.picker.open("A lane for new events of class…", this.view.classes, null, (label) => {
      this.extraLanes.add(label);
      this.layoutKey = null;
      this.refresh();
    });
  }

  step(direction) {
    const e = stepEvent(this.events.filter((x) => x.state !== "deleted" || this.showDeleted), this.selectedId,
      direction);
    if (e) this.select(e.id, e.start);
  }

  // -------------------------------------------------------------------------------------------------- playback
  snap(seconds, free) {
    return snapTime(seconds, free ? "off" : this.snapMode, this.view);
  }

  /** Move the playhead (and the video) to ``seconds``, snapped to a frame unless ``snap`` is false. */
  seek(seconds, snap = true) {
    const t = snap ? snapTime(seconds, "frame", this.view) : clamp(seconds, 0, this.view.duration);
    this.playhead = t;
    this.playUntil = null;
    if (this.hasVideo) this.video.currentTime = t;
    this.drawPlayhead();
    this.keepInView(t);
  }

  togglePlay() {
    if (!this.hasVideo) return;
    if (this.video.paused) {
      this.playUntil = null;
      this.video.play();
    } else {
      this.video.pause();
    }
  }

  playSelection(loop = this.loop) {
    const e = this.selected;
    if (!e || !this.hasVideo) return;
    this.loop = loop;
    this.video.currentTime = e.start;
    this.playUntil = { start: e.start, end: e.end };
    this.video.play();
    this.drawPanel();
  }

  /** Follow the video while it plays (one step per frame drawn; nothing runs while it is paused). */
  tick() {
    if (this.hasVideo && !this.video.paused) {
      let t = this.video.currentTime;
      if (this.playUntil && t >= this.playUntil.end) {
        if (this.loop) {
          this.video.currentTime = this.playUntil.start;
          t = this.playUntil.start;
        } else {
          this.video.pause();
          t = this.playUntil.end;
          this.video.currentTime = t;
        }
      }
      this.playhead = t;
      this.drawPlayhead();
      this.keepInView(t);
      requestAnimationFrame(() => this.tick());
    }
  }

  keepInView(t) {
    if (!this.ws) return;
    const width = this.ws.getWrapper().clientWidth;
    const x = (t / this.view.duration) * width;
    const left = this.ws.getScroll();
    const visible = this.ws.getWidth();
    if (x < left || x > left + visible) this.ws.setScroll(Math.max(0, x - visible * 0.1));
  }

  reveal(e) {
    if (!this.ws) return;
    const width = this.ws.getWrapper().clientWidth;
    const left = this.ws.getScroll();
    const visible = this.ws.getWidth();
    const x0 = (e.start / this.view.duration) * width;
    const x1 = (e.end / this.view.duration) * width;
    if (x1 < left || x0 > left + visible) this.ws.setScroll(Math.max(0, (x0 + x1) / 2 - visible / 2));
  }

  /** Zoom by ``factor`` (0: the whole video) around the playhead: it stays where it is on screen when visible,
   *  else it comes to the middle. */
  zoom(factor) {
    const width = this.ws.getWidth();
    const fit = width / this.view.duration;
    const current = this.ws.getWrapper().clientWidth / this.view.duration;
    const next = factor === 0 ? fit : clamp(current * factor, fit, this.view.fps * 48);
    const onScreen = this.playhead * current - this.ws.getScroll();
    const anchor = onScreen >= 0 && onScreen <= width ? onScreen : width / 2;
    this.ws.zoom(next);
    this.ws.setScroll(Math.max(0, this.playhead * next - anchor));
  }

  // ------------------------------------------------------------------------------------------------- drawing
  loadVideo(url, view) {
    this.videoKey = `${url}|${view.duration}`;
    this.hasVideo = Boolean(url);
    this.$(".novideo").hidden = this.hasVideo;
    this.video.hidden = !this.hasVideo;
    if (this.ws) this.ws.destroy();
    if (this.hasVideo) this.video.src = url;
    else this.video.removeAttribute("src");
    const peaks = view.audio ? [view.audio.peaks_max, view.audio.peaks_min] : [[0, 0]];
    this.regions = RegionsPlugin.create();
    this.ws = WaveSurfer.create({
      container: this.$(".wave"), height: WAVE_H, waveColor: "#9aa0a9", progressColor: "#9aa0a9", cursorWidth: 0,
      peaks, duration: view.duration, interact: false, normalize: true, autoScroll: false, hideScrollbar: false,
      plugins: [ZoomPlugin.create({ maxZoom: view.fps * 48, exponentialZooming: true, iterations: 40 }), this.regions],
    });
    const wrapper = this.ws.getWrapper();
    this.axis = null;
    this.axisKey = null;
    this.drawAxis();
    const style = document.createElement("style");
    style.textContent = SHADOW_CSS;
    wrapper.getRootNode().appendChild(style);
    this.spec = document.createElement("canvas");
    this.spec.className = "spec";
    wrapper.appendChild(this.spec);
    this.drawSpectrogram(view.audio && view.audio.spectrogram);
    this.lanes.attach(wrapper);
    this.playheadEl = document.createElement("div");
    this.playheadEl.className = "playhead";
    wrapper.appendChild(this.playheadEl);
    this.layoutKey = null;
    this.region = null;
    for (const name of ["scroll", "zoom", "redraw", "resize"]) this.ws.on(name, () => this.lanes.schedule());
    this.ws.on("zoom", () => {
      clearTimeout(this.axisTimer);
      this.axisTimer = setTimeout(() => this.drawAxis(), 120);
    });
    this.regions.on("region-updated", (region, side) => this.regionMoved(region, side));
    this.playhead = 0;
    this.drawPlayhead();
  }

  /** The time axis (wavesurfer's timeline plugin) with ticks and labels spaced for the zoom: the plugin's own
   *  spacing crowds the labels of a long video, so it is made again with new intervals when the zoom changes them. */
  drawAxis() {
    const wrapper = this.ws.getWrapper();
    const { label, tick } = axisIntervals(wrapper.clientWidth / this.view.duration);
    if (`${label}|${tick}` === this.axisKey) return;
    this.axisKey = `${label}|${tick}`;
    if (this.axis) this.ws.unregisterPlugin(this.axis);
    this.axis = this.ws.registerPlugin(TimelinePlugin.create({
      height: AXIS_H, timeInterval: tick, primaryLabelInterval: label, secondaryLabelInterval: label,
      formatTimeCallback: axisLabel, style: { fontSize: "11px", color: "#555" },
    }));
    // On top, in the flow (the plugin's own "beforebegin" would float it over the waveform).
    wrapper.prepend(wrapper.querySelector("[part=timeline-wrapper]"));
  }

  drawSpectrogram(spectrogram) {
    this.spec.style.display = spectrogram ? "block" : "none";
    this.root.style.setProperty("--spec-h", spectrogram ? `${SPEC_H}px` : "0px");
    if (!spectrogram) return;
    const { rows, columns, levels } = spectrogram;
    const bytes = Uint8Array.from(atob(levels), (c) => c.charCodeAt(0));
    this.spec.width = columns;
    this.spec.height = rows;
    this.spec.style.height = `${SPEC_H}px`;
    const context = this.spec.getContext("2d");
    const image = context.createImageData(columns, rows);
    const lut = Array.from({ length: 256 }, (_, level) => colourAt(level));
    for (let i = 0; i < bytes.length; i++) {
      const [r, g, b] = lut[bytes[i]];
      image.data.set([r, g, b, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }

  setSubtitles(vtt) {
    if (vtt === this.subtitles) return;
    this.subtitles = vtt;
    for (const track of this.video.querySelectorAll("track")) {
      URL.revokeObjectURL(track.src);
      track.remove();
    }
    if (!vtt) return;
    const track = document.createElement("track");
    Object.assign(track, { kind: "subtitles", label: "Events", srclang: "en", default: true });
    track.src = URL.createObjectURL(new Blob([vtt], { type: "text/vtt" }));
    this.video.appendChild(track);
  }

  /** The selected event as a region over the waveform: drag it or its edges there too. */
  syncRegion() {
    const e = this.selected;
    if (!e || e.state === "deleted") {
      if (this.region) this.region.remove();
      this.region = null;
      return;
    }
    if (this.region && this.region.isDragging) return;
    if (this.region && this.region.eventId === e.id) {
      if (this.region.start !== e.start || this.region.end !== e.end) {
        this.region.setOptions({ start: e.start, end: e.end });
      }
      return;
    }
    if (this.region) this.region.remove();
    this.region = this.regions.addRegion({
      id: `event-${e.id}`, start: e.start, end: e.end, color: "rgba(214, 39, 40, 0.16)", drag: !this.readOnly,
      resize: !this.readOnly, minLength: this.view.min_length,
    });
    this.region.eventId = e.id;
  }

  /** The selection's region follows a bar being dragged in the lanes. */
  previewRegion(e, start, end) {
    if (this.region && this.region.eventId === e.id) this.region.setOptions({ start, end });
  }

  regionMoved(region, side) {
    const e = this.eventById(region.eventId);
    if (!e) return;
    const start = side === "end" ? e.start : this.snap(region.start, false);
    const end = side === "start" ? e.end : side === "end" ? this.snap(region.end, false)
      : start + (e.end - e.start);
    if (start === e.start && end === e.end) return region.setOptions({ start: e.start, end: e.end });
    this.gesture(moveGesture(e, start, end));
  }

  drawLabels() {
    const labels = this.$(".labels");
    const rows = this.laneNames.map((name, i) => {
      const row = document.createElement("div");
      row.className = "label";
      row.textContent = name;
      row.title = name;
      row.style.height = `${this.lanes.heights[i]}px`;
      return row;
    });
    const add = document.createElement("button");
    add.className = "add-lane";
    add.dataset.action = "lane";
    add.textContent = "+ class";
    add.title = "A lane for new events of another class";
    add.hidden = this.readOnly;
    labels.replaceChildren(...rows, add);
  }

  drawPlayhead() {
    if (!this.view) return;
    if (this.playheadEl) {
      this.playheadEl.style.left = `${(this.playhead / this.view.duration) * 100}%`;
      this.playheadEl.dataset.time = String(this.playhead);
    }
    const field = this.$(".time");
    if (document.activeElement !== field) field.value = formatTime(this.playhead, this.view.duration >= 60);
    this.$(".frame").textContent = `frame ${frameAt(this.playhead, this.view.fps)} · ${this.view.fps.toFixed(2)} fps`;
  }

  drawPanel() {
    const e = this.selected;
    const info = this.$(".inspector");
    if (e) {
      const score = e.score === null ? "" : ` · score ${e.score.toFixed(2)}`;
      info.textContent = `#${e.id} ${e.lane} · ${e.start.toFixed(3)}–${e.end.toFixed(3)} s ` +
        `(${(e.end - e.start).toFixed(3)} s)${score} · ${e.state}`;
    } else {
      info.textContent = this.readOnly ? "Click a bar to select an event." :
        "Click a bar to select it, drag on a lane to add an event.";
    }
    this.$(".notice").textContent = this.notice;
    this.$("[data-action=delete]").textContent = e && e.state === "deleted" ? "Restore" : "Delete";
    this.$("[data-action=loop]").classList.toggle("on", this.loop);
    this.$(".snap").value = this.snapMode;
    this.$(".status").textContent = `${this.events.length} events · ${this.shownInView} in view` +
      (this.inFlight ? " · saving…" : "");
    this.root.toggleAttribute("data-pending", Boolean(this.inFlight || this.queue.length));
  }

  focus() {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.focus();
  }

  // ------------------------------------------------------------------------------------------------ controls
  bindControls() {
    const actions = {
      play: () => this.togglePlay(), "play-selection": () => this.playSelection(false),
      loop: () => this.toggleLoop(),
      prev: () => this.step(-1), next: () => this.step(1), start: () => this.setEdge("start"),
      end: () => this.setEdge("end"), accept: () => this.edit("accept"), reject: () => this.edit("reject"),
      delete: () => this.deleteOrRestore(), relabel: () => this.relabel(), split: () => this.split(),
      merge: () => this.merge(1), undo: () => this.gesture({ kind: "undo" }),
      redo: () => this.gesture({ kind: "redo" }),
      "zoom-in": () => this.zoom(2), "zoom-out": () => this.zoom(0.5), fit: () => this.zoom(0),
      lane: () => this.addLane(),
    };
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (button && actions[button.dataset.action]) {
        actions[button.dataset.action]();
        button.blur();
      }
    });
    this.video.addEventListener("pause", () => {
      if (!this.playUntil) this.seek(this.video.currentTime);
    });
    this.video.addEventListener("seeked", () => this.drawPlayhead());
    this.video.addEventListener("play", () => requestAnimationFrame(() => this.tick()));
    const field = this.$(".time");
    field.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Enter") {
        const t = parseTime(field.value, this.playhead);
        if (t === null) {
          this.notice = `Not a time: ${field.value} (try 12.5, 1:02.5, +0.5 or -1).`;
          this.drawPanel();
          return;
        }
        this.seek(t, false);
        field.blur();
      } else if (event.key === "Escape") {
        field.blur();
      }
    });
    field.addEventListener("blur", () => this.drawPlayhead());
    this.$(".snap").addEventListener("change", (event) => {
      this.snapMode = event.target.value;
      event.target.blur();
    });
  }

  bindKeys() {
    window.addEventListener("keydown", (event) => {
      if (this.picker.isOpen || !this.view) return;
      const target = event.target;
      if (target && (target.tagName === "INPUT" || target.tagName === "SELECT")) return;
      const key = event.key;
      const ctrl = event.ctrlKey || event.metaKey;
      const done = () => event.preventDefault();
      if (ctrl && (key === "z" || key === "Z")) return done(), this.gesture({ kind: event.shiftKey ? "redo" : "undo" });
      if (ctrl && key === "y") return done(), this.gesture({ kind: "redo" });
      if (ctrl || event.altKey) return;
      if (/^[0-9.+-]$/.test(key)) {
        // Typing a time moves the playhead there ("+0.5" Enter: half a second on).
        const field = this.$(".time");
        field.value = key;
        field.focus();
        return done();
      }
      const frame = 1 / this.view.fps;
      const handlers = {
        " ": () => (event.shiftKey ? this.playSelection(false) : this.togglePlay()),
        ArrowLeft: () => this.seek(this.playhead - (event.shiftKey ? this.view.grid_hop : frame)),
        ArrowRight: () => this.seek(this.playhead + (event.shiftKey ? this.view.grid_hop : frame)),
        Home: () => this.seek(0), End: () => this.seek(this.view.duration),
        Tab: () => this.step(event.shiftKey ? -1 : 1), n: () => this.step(1), p: () => this.step(-1),
        s: () => this.selected && this.seek(this.selected.start, false),
        e: () => this.selected && this.seek(this.selected.end, false),
        "[": () => this.setEdge("start"), "]": () => this.setEdge("end"),
        a: () => this.edit("accept"), r: () => this.edit("reject"),
        Delete: () => this.deleteOrRestore(), Backspace: () => this.deleteOrRestore(),
        l: () => this.relabel(), m: () => this.merge(1), M: () => this.merge(-1), x: () => this.split(),
        o: () => this.toggleLoop(), Escape: () => this.select(null),
        "?": () => { const help = this.$(".help"); help.open = !help.open; },
      };
      const handler = handlers[key];
      if (handler) {
        done();
        handler();
      }
    });
  }

  toggleLoop() {
    this.loop = !this.loop;
    if (this.loop) this.playSelection(true);
    else this.drawPanel();
  }
}
