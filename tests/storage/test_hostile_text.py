"""Hostile text is stored verbatim and exported safely, escaped only where a format needs it."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree

import webvtt
from praatio import textgrid

HOSTILE = [
    "quote \"double\" 'single' `back`",
    "Robert'); DROP TABLE event;--",
    "<script>alert('x')</script> & <b>bold</b> --> &amp;",
    "emoji 🐕‍🦺🎸 ünïcødé ∑ 中文",
    "long " + "ß" * 10_000,
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+2",
    "-3",
    "@SUM(A1)",
    "'=already quoted",
]
FORMULA_LABELS = [label for label in HOSTILE if label[0] in "=+-@'"]


def test_hostile_labels_and_notes_survive_storage_and_every_format(store, video, tmp_path):
    for index, label in enumerate(HOSTILE):
        store.add_class(label)
        store.add_event(video, 1.0 + 2.5 * index, 3.0 + 2.5 * index, label, author="o'brien <admin>", note=label)
    events = store.current_events(video)
    assert [e.label for e in events] == HOSTILE
    assert [store.history(e.event_id)[0].note for e in events] == HOSTILE
    assert {e.author for e in events} == {"o'brien <admin>"}
    assert store.list_videos()[0].n_events == len(HOSTILE)  # the SQL in a label did nothing

    unav = json.loads(store.export_annotations("unav_json"))
    assert [a["label"] for a in unav["database"][video]["annotations"]] == HOSTILE
    rows = list(csv.DictReader(io.StringIO(store.export_annotations("csv"))))
    assert [r["label"] for r in rows] == [("'" + label if label in FORMULA_LABELS else label) for label in HOSTILE]
    assert not any(r["label"].startswith(("=", "+", "-", "@")) for r in rows)  # no cell runs as a spreadsheet formula
    lines = store.export_annotations("audacity", video_id=video).splitlines()
    assert [line.split("\t", 2)[2] for line in lines] == HOSTILE

    vtt = store.export_annotations("webvtt", video_id=video)
    assert "<script>" not in vtt and "&lt;script&gt;" in vtt
    assert [c.text for c in webvtt.from_string(vtt).captions][2] == \
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; --&gt; &amp;amp;"

    eaf = store.export_annotations("eaf", video_id=video)
    values = [node.text for node in ElementTree.fromstring(eaf).iter("ANNOTATION_VALUE")]
    assert sorted(values) == sorted(HOSTILE)

    path = store.export_file("textgrid", tmp_path / "hostile.TextGrid", video_id=video)
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert sorted(i.label for name in grid.tierNames for i in grid.getTier(name).entries) == sorted(HOSTILE)

    for fmt, data in [("unav_json", json.dumps(unav)), ("eaf", eaf), ("csv", store.export_annotations("csv"))]:
        store.record_video("again", duration=30.0)
        for event in store.current_events("again"):
            store.delete(event.event_id, event.rev_no)
        if fmt == "unav_json":
            data = json.dumps({"database": {"again": unav["database"][video]}})
        if fmt == "csv":
            data = data.replace(f"\n{video},", "\nagain,")
        assert store.import_annotations(fmt, data, video_id="again" if fmt == "eaf" else None) == len(HOSTILE)
        assert sorted(e.label for e in store.current_events("again")) == sorted(HOSTILE)
