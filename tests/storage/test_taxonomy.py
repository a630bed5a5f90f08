from __future__ import annotations

import json

import pytest

from loco.paths import ASSETS_DIR
from storage import ValidationError


def test_default_taxonomy_is_unav100_with_its_licence(store, unav_annotation_file):
    shipped = json.loads((ASSETS_DIR / "taxonomy" / "unav100_classes.json").read_text())
    assert "MIT" in (ASSETS_DIR / "taxonomy" / "UNAV100_LICENSE.txt").read_text()
    database = json.loads(unav_annotation_file.read_text())["database"]
    pairs = {(a["label_id"], a["label"]) for v in database.values() for a in v["annotations"]}
    assert {(c.label_id, c.name) for c in store.classes()} == pairs
    assert [c["name"] for c in shipped["classes"]] == store.class_names()


def test_add_and_rename_keep_history(store, video):
    info = store.add_class("door knocking")
    assert info.label_id == 100
    event = store.add_event(video, 1.0, 3.0, "door knocking")
    event = store.move(event.event_id, event.rev_no, end=4.0)
    store.rename_class("door knocking", "knocking on a door")
    assert [h.label for h in store.history(event.event_id)] == ["knocking on a door"] * 2
    assert store.event(event.event_id).label_id == 100
    with pytest.raises(ValidationError, match="not in the taxonomy"):
        store.add_event(video, 1.0, 3.0, "door knocking")
    with pytest.raises(ValidationError, match="already exists"):
        store.rename_class("knocking on a door", "dog barking")
    with pytest.raises(ValidationError, match="control character"):
        store.add_class("tab\there")
