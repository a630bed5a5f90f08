"""Exports people recognise: titles as the tools name them, file names from the video's own name made safe (never a
path), and ELAN files that link their video."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from pympi import Elan

from storage import EXPORT_FORMATS
from storage.formats import safe_stem


def test_every_format_has_a_distinct_title_and_file_name():
    titles = [spec.title for spec in EXPORT_FORMATS.values()]
    assert len(set(titles)) == len(titles) and "ELAN" in titles and "Praat TextGrid" in titles
    names = {spec.file_name("clip.mp4") for spec in EXPORT_FORMATS.values()}
    assert len(names) == len(EXPORT_FORMATS)
    assert EXPORT_FORMATS["eaf"].file_name("dog clip.mp4") == "dog_clip.eaf"
    assert EXPORT_FORMATS["csv_frames"].file_name() == "annotations_frames.csv"


@pytest.mark.parametrize("name,stem", [
    ("dog clip.mp4", "dog_clip"), ("../../etc/passwd", "passwd"), ("C:\\clips\\été.MOV", "été"),
    (".hidden.mp4", "hidden"), ("...", "vid"), (None, "vid"), ("a<b>|c?.mp4", "a_b_c"), ("x" * 300, "x" * 80),
])
def test_a_user_file_name_becomes_a_safe_stem(name, stem):
    assert safe_stem(name, "vid") == stem


def test_elan_links_the_video_by_its_own_name_beside_the_file(store):
    store.record_video("v", duration=10.0, original_name="my clip (1).mp4", stored_path="/srv/data/uploads/abc")
    store.add_event("v", 1.0, 2.0, "dog barking")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.eaf"
        path.write_bytes(store.export_annotations("eaf", "v"))
        text = path.read_text(encoding="utf-8")
        media = Elan.Eaf(str(path)).media_descriptors
    assert media == [{"MEDIA_URL": "file:///my%20clip%20%281%29.mp4", "RELATIVE_MEDIA_URL": "./my%20clip%20%281%29.mp4",
                      "MIME_TYPE": "video/mp4"}]
    assert "/srv/data" not in text  # the server's copy is never named


def test_elan_without_a_known_file_name_links_nothing(store):
    store.record_video("v", duration=10.0)
    store.add_event("v", 1.0, 2.0, "dog barking")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.eaf"
        path.write_bytes(store.export_annotations("eaf", "v"))
        assert Elan.Eaf(str(path)).media_descriptors == []
