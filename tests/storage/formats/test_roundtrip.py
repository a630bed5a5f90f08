"""Every export format reads back (through our importer or the format's own library) to the same events."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
import webvtt
from praatio import textgrid
from pympi import Elan

from storage.formats.lanes import class_tiers

EVENTS = [(1.0, 4.5, "dog barking"), (2.0, 3.0, "dog barking"), (2.5, 9.25, "man speaking"), (10.0, 12.04, "cat meowing")]


@pytest.fixture
def filled(store, video):
    for start, end, label in EVENTS:
        store.add_event(video, start, end, label)
    store.record_video("vid_b", duration=8.0, fps=30.0, subset="test")
    store.add_event("vid_b", 0.5, 7.5, "car passing by")
    return store


def _same(store, video, tolerance=1e-9):
    got = sorted((e.start, e.end, e.label) for e in store.current_events(video))
    assert len(got) == len(EVENTS)
    for (s, e, label), (s2, e2, label2) in zip(sorted(EVENTS), got):
        assert abs(s - s2) <= tolerance and abs(e - e2) <= tolerance and label == label2


def _move_to_fresh_video(filled, video):
    filled.record_video("vid_c", duration=30.0, fps=25.0)
    for event in filled.current_events(video):
        filled.delete(event.event_id, event.rev_no)
    return "vid_c"


@pytest.mark.parametrize("fmt,tolerance", [("csv", 1e-12), ("csv_frames", 1 / 25), ("unav_json", 1e-12)])
def test_whole_store_formats_round_trip(filled, video, store_url, fmt, tolerance):
    text = filled.export_annotations(fmt)
    if fmt == "unav_json":
        database = json.loads(text)["database"]
        assert database["vid_b"]["subset"] == "test" and database[video]["duration"] == 30.0
        assert database[video]["annotations"][0] == {"segment": [1.0, 4.5], "label": "dog barking",
                                                     "label_id": filled.class_names().index("dog barking")}
    for event in filled.current_events():
        filled.delete(event.event_id, event.rev_no)
    assert filled.import_annotations(fmt, text) == 5
    _same(filled, video, tolerance)


def test_predictions_round_trip(filled, video):
    filled.record_inference_run(video, [{"label": "dog barking", "start": 1.0, "end": 2.0, "score": 0.25}])
    text = filled.export_annotations("predictions_json", video_id=video, states=["proposed"])
    assert json.loads(text)["results"][video] == [
        {"segment": [1.0, 2.0], "label": "dog barking", "label_id": filled.class_names().index("dog barking"),
         "score": 0.25}]
    assert filled.import_annotations("predictions_json", text) == 1
    assert [e.score for e in filled.current_events(video, states=["proposed"])] == [0.25, 0.25]


@pytest.mark.parametrize("fmt,tolerance", [("audacity", 1e-6), ("eaf", 1e-3)])
def test_per_video_formats_round_trip_through_import(filled, video, fmt, tolerance):
    data = filled.export_annotations(fmt, video_id=video)
    target = _move_to_fresh_video(filled, video)
    assert filled.import_annotations(fmt, data, video_id=target) == len(EVENTS)
    _same(filled, target, tolerance)


def test_eaf_has_one_tier_per_class_and_spills_self_overlaps(filled, video):
    data = filled.export_annotations("eaf", video_id=video)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "x.eaf").write_bytes(data)
        eaf = Elan.Eaf(str(Path(folder) / "x.eaf"))
    assert set(eaf.get_tier_names()) == {"dog barking", "dog barking #2", "man speaking", "cat meowing"}


def test_textgrid_reads_back_with_praatio(filled, video, tmp_path):
    path = filled.export_file("textgrid", tmp_path / "x.TextGrid", video_id=video)
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    got = sorted((i.start, i.end, i.label) for name in grid.tierNames for i in grid.getTier(name).entries)
    assert got == sorted(EVENTS) and grid.maxTimestamp == 30.0
    assert set(grid.tierNames) == set(class_tiers(filled.current_events(video)))


def test_webvtt_reads_back_with_webvtt_py(filled, video):
    text = filled.export_annotations("webvtt", video_id=video)
    captions = webvtt.from_string(text).captions
    assert [(c.start_in_seconds + c.start_time.milliseconds / 1000, c.text) for c in captions][0] == (1.0, "dog barking")
    assert len(captions) == len(EVENTS)


def test_csv_frames_use_each_videos_frame_rate(filled):
    rows = list(csv.DictReader(io.StringIO(filled.export_annotations("csv_frames", video_id="vid_b"))))
    assert (rows[0]["start_frame"], rows[0]["end_frame"], rows[0]["fps"]) == ("15", "225", "30.0")


def test_bad_files_are_refused_and_change_nothing(filled, video):
    before = filled.current_events()
    with pytest.raises(ValueError, match="not valid JSON"):
        filled.import_annotations("unav_json", "{nope")
    with pytest.raises(ValueError, match="line 2"):
        filled.import_annotations("audacity", "1.0\t2.0\tdog barking\nbroken line\n", video_id=video)
    with pytest.raises(ValueError, match="invalid event.*nothing imported"):
        filled.import_annotations("audacity", "1.0\t2.0\tdog barking\n5.0\t99.0\tdog barking\n", video_id=video)
    with pytest.raises(ValueError, match="header"):
        filled.import_annotations("csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match="one video"):
        filled.export_annotations("eaf")
    assert filled.current_events() == before


@pytest.mark.slow
def test_the_whole_unav100_file_imports_and_exports_identically(store, unav_annotation_file):
    assert store.import_file("unav_json", unav_annotation_file) == 30_059
    assert len(store.list_videos()) == 10_790
    original = json.loads(unav_annotation_file.read_text())["database"]
    exported = json.loads(store.export_annotations("unav_json"))["database"]
    assert exported.keys() == original.keys()
    for video_id, entry in original.items():
        mine = exported[video_id]
        assert (mine["subset"], mine["duration"]) == (entry["subset"], entry["duration"])
        assert sorted((a["segment"][0], a["segment"][1], a["label"], a["label_id"]) for a in mine["annotations"]) == \
            sorted((float(a["segment"][0]), float(a["segment"][1]), a["label"], a["label_id"])
                   for a in entry["annotations"])
