// Entry point: one editor per iframe, redrawn with the arguments of every script run.
import { Editor } from "./editor.js";
import { connect, setHeight, setValue } from "../protocol.js";

let editor = null;
connect((args) => {
  if (!args.view) return;
  if (!editor) editor = new Editor(document.getElementById("editor"), { send: setValue, resize: setHeight });
  editor.update(args);
});
