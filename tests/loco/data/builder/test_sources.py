from __future__ import annotations

import json

import pytest

from loco.data.builder.plan import plan_dataset
from loco.data.builder.sources import POOLS, TAXONOMY, SourceError, load_backgrounds, load_catalogue, pool_of


def test_every_class_stamp_belongs_to_exactly_one_pool(catalogue):
    seen: dict[str, str] = {}
    for stamp_class in catalogue.classes:
        for pool in POOLS:
            for stamp in stamp_class.stamps(pool):
                assert seen.setdefault(stamp.key, pool) == pool, stamp.key
                assert stamp.photo.is_file() and stamp.sound.is_file()
    for group in (catalogue.distractors, catalogue.photo_only):
        assert not {s.key for s in group["train"]} & {s.key for s in group["test"]}


def test_test_classes_have_a_held_out_stamp_and_train_sources(catalogue):
    test_classes = catalogue.classes_for("test")
    assert 12 <= len(test_classes) < len(catalogue.classes) <= 100
    for stamp_class in test_classes:
        assert stamp_class.test and stamp_class.train
    assert catalogue.classes_for("validation") == catalogue.classes_for("train") == catalogue.classes


def test_planned_splits_share_no_stamp_and_no_footage_time(catalogue, templates, backgrounds):
    plans = plan_dataset(catalogue, templates, backgrounds, {"train": 40, "validation": 10, "test": 30, "dev": 20},
                         seed=3)
    used = {pool: set() for pool in POOLS}
    events = {pool: set() for pool in POOLS}
    for plan in plans:
        used[pool_of(plan.subset)] |= {layer.stamp for layer in plan.layers}
        events[pool_of(plan.subset)] |= {layer.stamp for layer in plan.events()}
        low, high = plan.background_range
        assert low <= plan.background_start <= high
    assert all(used.values())
    assert not used["train"] & used["test"] and not used["dev"] & used["test"]
    assert not events["dev"] & used["train"]  # dev events are exemplars no training video shows, as a sound or photo
    background = backgrounds[0]
    train_range, test_range = background.time_range("train"), background.time_range("test")
    assert train_range[1] <= test_range[0]


def test_missing_sources_raise_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="tuxpaint-stamps-default"):
        load_catalogue(tmp_path / "nowhere")
    with pytest.raises(SourceError, match="not found"):
        load_backgrounds([tmp_path / "missing.avi"])
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(SourceError, match="not a readable video"):
        load_backgrounds([bad])


def test_classes_are_unav100_classes(catalogue):
    taxonomy = json.loads(TAXONOMY.read_text())["classes"]
    ids = {c["name"]: c["label_id"] for c in taxonomy}
    assert all(ids[c.name] == c.label_id for c in catalogue.classes)
    assert {"man speaking", "woman speaking"} <= {c.name for c in catalogue.classes_for("test")}


def test_gcompris_farm_pairs_are_dev_exemplars_only(catalogue):
    dog = catalogue.by_name("dog barking")
    assert [s.key for s in dog.dev] == ["gcompris:farm_animals/dog"] and dog.test
    assert {c.name for c in catalogue.classes_for("dev")} == {c.name for c in catalogue.classes if c.dev}
    for stamp_class in catalogue.classes:
        assert not any(s.key.startswith("gcompris:farm") for s in stamp_class.train + stamp_class.test)
    dev_only = {"gcompris:farm_animals/owl", "gcompris:farm_animals/horse"}
    assert dev_only <= {s.key for s in catalogue.distractors["dev"]}
    assert not dev_only & {s.key for s in catalogue.distractors["train"] + catalogue.distractors["test"]}
