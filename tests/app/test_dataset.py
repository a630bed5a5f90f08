from collections import Counter

import pytest

from storage import open_store
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def download(at):
    (button,) = at.get("download_button")  # one button: the chosen format's file, never a previous one
    return button.proto


def test_videos_exports_and_snapshot(processed):
    at = app_test().run()
    at.switch_page("pages/dataset.py").run()
    assert not errors_of(at)
    table = at.dataframe[0].value
    assert list(table["events"]) == [processed.num_events] and list(table["review"]) == ["todo"]
    formats = at.selectbox(key="export_format")
    assert formats.options == ["UnAV-100 JSON", "UnAV-100 predictions JSON", "CSV (seconds)", "CSV (frames)",
                               "Audacity labels", "WebVTT subtitles", "ELAN", "Praat TextGrid"]
    at.radio(key="export_states").set_value("corrected + proposed").run()
    for fmt, name in (("csv", "annotations.csv"), ("unav_json", "annotations.json"), ("webvtt", "dog_clip.vtt"),
                      ("eaf", "dog_clip.eaf"), ("textgrid", "dog_clip.TextGrid"), ("audacity", "dog_clip_labels.txt"),
                      ("csv_frames", "annotations_frames.csv")):
        at.selectbox(key="export_format").set_value(fmt).run()
        assert not errors_of(at), fmt
        button = download(at)
        assert button.label == f"Download {name}" and button.deferred_file_id, fmt  # made when clicked
    at.selectbox(key="export_scope").set_value(processed.video_id).run()
    assert download(at).label == "Download dog_clip_frames.csv"  # one video: its own name
    at.text_input(key="snapshot_name").input("v1").run()
    at.multiselect(key="snapshot_videos").select(processed.video_id).run()
    at.button(key="snapshot_go").click().run()
    assert any("Snapshot 'v1'" in s.value for s in at.success)
    assert [s.name for s in open_store().list_snapshots()] == ["v1"]
    at.button(key="snapshot_go").click().run()  # snapshots are immutable: the same name again is refused
    assert any("exists" in e.value for e in at.error)


def test_splits_by_hand_and_at_random_then_the_snapshot_keeps_them(processed):
    store = open_store()
    for index in range(4):
        store.record_video(f"imported_{index}", 30.0, original_name=f"imported {index}.mp4")
    at = app_test().run()
    at.switch_page("pages/dataset.py").run()
    at.multiselect(key="split_videos").select(processed.video_id).run()
    at.selectbox(key="split_subset").set_value("test").run()
    at.button(key="split_assign").click().run()
    assert store.video(processed.video_id).subset == "test"
    assert any("1 video now test" in s.value for s in at.success)
    assert at.button(key="split_random").label == "Split the 4 unassigned videos at random"
    at.number_input(key="split_seed").set_value(7).run()
    at.button(key="split_random").click().run()
    subsets = {v.video_id: v.subset for v in store.list_videos()}
    assert subsets[processed.video_id] == "test" and sorted(subsets.values()) == ["test", "test", "train", "train",
                                                                                   "validation"]
    assert "unassigned" not in list(at.dataframe[0].value["split"])
    at.text_input(key="snapshot_name").input("split").run()
    at.multiselect(key="snapshot_videos").select(processed.video_id).select("imported_0").run()
    at.button(key="snapshot_go").click().run()
    assert store.list_snapshots()[0].subsets == dict(Counter([subsets[processed.video_id], subsets["imported_0"]]))


def test_a_malformed_import_changes_nothing(processed):
    at = app_test().run()
    at.switch_page("pages/dataset.py").run()
    at.selectbox(key="import_format").select("unav_json").run()
    at.file_uploader(key="import_file").upload("gt.json", b"{not json", "application/json").run()
    at.button(key="import_go").click().run()
    assert at.error and not at.exception
    assert len(open_store().current_events(processed.video_id)) == processed.num_events
