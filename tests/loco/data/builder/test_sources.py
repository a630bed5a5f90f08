from __future__ import annotations

import pytest

from loco.data.builder.plan import plan_dataset
from loco.data.builder.sources import SourceError, load_backgrounds, load_catalogue, pool_of


def test_every_class_stamp_belongs_to_exactly_one_pool(catalogue):
    seen: dict[str, str] = {}
    for stamp_class in catalogue.classes:
        for pool in ("train", "test"):
            for stamp in stamp_class.stamps(pool):
                assert seen.setdefault(stamp.key, pool) == pool, stamp.key
                assert stamp.photo.is_file() and stamp.sound.is_file()
    for group in (catalogue.distractors, catalogue.photo_only):
        assert not {s.key for s in group["train"]} & {s.key for s in group["test"]}


def test_test_classes_have_a_held_out_stamp_and_train_sources(catalogue):
    test_classes = catalogue.classes_for("test")
    assert 15 <= len(test_classes) < len(catalogue.classes) <= 30
    for stamp_class in test_classes:
        assert stamp_class.test and stamp_class.train
    assert catalogue.classes_for("validation") == catalogue.classes_for("train") == catalogue.classes


def test_planned_splits_share_no_stamp_and_no_footage_time(catalogue, templates, backgrounds):
    plans = plan_dataset(catalogue, templates, backgrounds, {"train": 40, "validation": 10, "test": 30}, seed=3)
    used = {pool: set() for pool in ("train", "test")}
    for plan in plans:
        used[pool_of(plan.subset)] |= {layer.stamp for layer in plan.layers}
        low, high = plan.background_range
        assert low <= plan.background_start <= high
    assert used["train"] and used["test"]
    assert not used["train"] & used["test"]
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


def test_gcompris_pairs_are_test_exemplars_only(catalogue):
    dog = catalogue.by_name("dog barking")
    assert [s.key for s in dog.test] == ["gcompris:farm_animals/dog"]
    gcompris_train = [s.key for c in catalogue.classes for s in c.train if s.key.startswith("gcompris:")]
    assert gcompris_train == []
    test_only = {"gcompris:farm_animals/cat", "gcompris:farm_animals/owl"}
    assert test_only <= {s.key for s in catalogue.distractors["test"]}
    assert not test_only & {s.key for s in catalogue.distractors["train"]}
