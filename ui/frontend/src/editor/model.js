// Pure helpers of the editor: the events as objects, snapping, time text, the optimistic view of a gesture.

/** The view's event columns as objects sorted by start (the order of Tab / next event). */
export function decodeEvents(view) {
  const c = view.events;
  const events = [];
  for (let i = 0; i < c.id.length; i++) {
    events.push({
      id: c.id[i], start: c.start[i], end: c.end[i], lane: view.lanes[c.lane[i]], layer: c.layer[i],
      state: view.states[c.state[i]], score: c.score[i], rev: c.rev[i],
    });
  }
  return events;
}

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/** A time snapped to the nearest video frame ("frame"), feature-grid step centre ("grid"), or kept ("off"). */
export function snapTime(seconds, mode, view) {
  let t = seconds;
  if (mode === "frame") t = Math.round(seconds * view.fps) / view.fps;
  else if (mode === "grid") {
    t = view.grid_offset + Math.round((seconds - view.grid_offset) / view.grid_hop) * view.grid_hop;
  }
  return clamp(roundMicro(t), 0, view.duration);
}

/** Float noise off (12.600000000000001 -> 12.6): times are exact to the microsecond, frames are far coarser. */
export function roundMicro(seconds) {
  return Math.round(seconds * 1e6) / 1e6;
}

export function frameAt(seconds, fps) {
  return Math.floor(seconds * fps + 1e-6);
}

/** ``seconds`` as m:ss (h:mm:ss from an hour on), the seconds with ``decimals`` decimals. */
function clock(seconds, decimals) {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = (seconds % 60).toFixed(decimals).padStart(decimals ? 3 + decimals : 2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** The playhead field: "12.340" for a video under a minute, "1:02.340" (or "1:02:03.340") for a longer one. */
export function formatTime(seconds, long) {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(seconds);
  return sign + (long ? clock(s, 3) : s.toFixed(3));
}

/** The axis labels: seconds under a minute, then m:ss or h:mm:ss, with as many decimals as the tick needs. */
export function axisLabel(seconds) {
  const decimals = [0, 1, 2].find((d) => Math.abs(seconds * 10 ** d - Math.round(seconds * 10 ** d)) < 1e-6) ?? 2;
  return seconds < 60 ? seconds.toFixed(decimals) : clock(seconds, decimals);
}

/** (label interval, tick interval) pairs of the time axis, seconds: from a frame apart to an hour. */
const AXIS_STEPS = [[0.2, 0.04], [0.5, 0.1], [1, 0.2], [2, 0.5], [5, 1], [10, 2], [15, 5], [30, 5], [60, 10],
  [120, 30], [300, 60], [600, 120], [900, 300], [1800, 300], [3600, 600], [7200, 1200], [14400, 3600]];

/** The axis's label and tick intervals at ``pxPerSec``: labels at least ``labelPx`` apart (m:ss needs room). */
export function axisIntervals(pxPerSec, labelPx = 72) {
  const [label, tick] = AXIS_STEPS.find(([l]) => l * pxPerSec >= labelPx) || AXIS_STEPS[AXIS_STEPS.length - 1];
  return { label, tick };
}

/** A typed playhead time: seconds ("12.5"), minutes and seconds ("1:02.5", "1:02:03.5"), or relative to ``from``
 *  ("+0.5", "-1"); null when the text is none of these. */
export function parseTime(text, from) {
  const value = String(text).trim().replace(/\s*s$/, "");
  const relative = /^([+-])\s*(\d+(?:\.\d*)?|\.\d+)$/.exec(value);
  if (relative) return from + (relative[1] === "-" ? -1 : 1) * parseFloat(relative[2]);
  const parts = /^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d*)?)$/.exec(value);
  if (parts) return parseInt(parts[1] || "0", 10) * 3600 + parseInt(parts[2], 10) * 60 + parseFloat(parts[3]);
  return /^(\d+(?:\.\d*)?|\.\d+)$/.test(value) ? parseFloat(value) : null;
}

/** A move of ``e`` to ``start``-``end`` that names only the edges that changed (the other stays exactly as stored). */
export function moveGesture(e, start, end) {
  return { kind: "move", event_id: e.id, start: start !== e.start ? start : null, end: end !== e.end ? end : null };
}

/** Opacity grows with the score, as on the Plotly timeline (unscored events are opaque). */
export function scoreOpacity(score) {
  return score === null || score === undefined ? 1 : 0.25 + 0.75 * clamp(score, 0, 1);
}

/** The next (``step`` 1) or previous (-1) event by start time, among ``events`` sorted by start. */
export function stepEvent(events, currentId, step) {
  if (!events.length) return null;
  const index = events.findIndex((e) => e.id === currentId);
  if (index < 0) return step > 0 ? events[0] : events[events.length - 1];
  return events[clamp(index + step, 0, events.length - 1)];
}

/** The neighbour in the same lane after (``step`` 1) or before (-1) ``event``: the partner of a merge key. */
export function laneNeighbour(events, event, step) {
  const lane = events.filter((e) => e.lane === event.lane && e.id !== event.id && e.state !== "deleted");
  if (step > 0) return lane.filter((e) => e.start >= event.start).sort((a, b) => a.start - b.start)[0] || null;
  return lane.filter((e) => e.start <= event.start).sort((a, b) => b.start - a.start)[0] || null;
}

/** What the editor shows while a gesture is on its way to the server (the server's next view replaces it). */
export function applyLocally(events, gesture, layers) {
  const corrected = layers.findIndex(([name]) => name === "corrected");
  const rejected = layers.findIndex(([name]) => name === "rejected");
  return events.map((e) => {
    if (e.id !== gesture.event_id) return e;
    const edited = e.state === "added" ? "added" : "edited"; // the store's rule: an added event stays "added"
    switch (gesture.kind) {
      case "move":
        return { ...e, start: gesture.start ?? e.start, end: gesture.end ?? e.end, layer: corrected, state: edited };
      case "accept":
        return { ...e, layer: corrected, state: "accepted" };
      case "reject":
        return { ...e, layer: rejected, state: "rejected" };
      case "relabel":
        return { ...e, lane: gesture.label, layer: corrected, state: edited };
      case "delete":
        return { ...e, state: "deleted" };
      default:
        return e;
    }
  });
}

/** Rows inside each lane: one band per layer present in it (in layer order), each as many rows as its events need
 *  not to overlap (at most ``maxRows``; later ones share the row that frees first). Returns each event's row within
 *  its lane and each lane's number of rows. */
export function packLanes(events, lanes, maxRows = 4) {
  const byLane = new Map(lanes.map((name) => [name, []]));
  for (const e of events) if (byLane.has(e.lane)) byLane.get(e.lane).push(e);
  const row = new Map();
  const rows = lanes.map((name) => {
    const list = byLane.get(name).slice().sort((a, b) => a.layer - b.layer || a.start - b.start || a.id - b.id);
    let base = 0;
    let index = 0;
    while (index < list.length) {
      const layer = list[index].layer;
      const ends = [];
      for (; index < list.length && list[index].layer === layer; index++) {
        const e = list[index];
        let r = ends.findIndex((end) => end <= e.start);
        if (r < 0 && ends.length < maxRows) r = ends.push(e.end) - 1;
        else if (r < 0) r = ends.indexOf(Math.min(...ends));
        ends[r] = Math.max(ends[r], e.end);
        row.set(e.id, base + r);
      }
      base += ends.length;
    }
    return Math.max(1, base);
  });
  return { row, rows };
}
