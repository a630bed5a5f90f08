// Entry point: one Plotly figure per iframe, drawn with the light plotly.js of ./plotly.js and redrawn with
// Plotly.react when a script run sends another figure. A click on a point sends the clicked points (their trace's
// name and customdata) back as the component's value, with a nonce so that two clicks on one point are two messages.
import Plotly from "./plotly.js";
import { connect, setHeight, setValue } from "../protocol.js";

const CONFIG = { displaylogo: false, responsive: true };
const DEFAULT_HEIGHT = 450; // plotly.js's own, for a figure that sets none
const DRAWN_MARK = "chart drawn"; // a performance mark once the first figure is drawn (ui.plotly_chart.DRAWN_MARK)
const root = document.getElementById("chart");
let drawn = null; // the figure (its JSON text) on screen
let clicks = 0;

function clicked(event) {
  clicks += 1;
  setValue({
    nonce: `${Date.now()}-${clicks}`,
    points: event.points.map((point) => ({ trace: point.data.name ?? null, customdata: point.customdata ?? null })),
  });
}

connect(async (args) => {
  if (!args.figure || args.figure === drawn) return;
  const figure = JSON.parse(args.figure);
  setHeight(figure.layout.height || DEFAULT_HEIGHT); // the frame takes its size before the figure is drawn
  const first = drawn === null;
  drawn = args.figure;
  await Plotly.react(root, figure.data, figure.layout, CONFIG);
  if (first) {
    root.on("plotly_click", clicked);
    performance.mark(DRAWN_MARK);
  }
});
