"""Train / validation / test per video: assigned by hand or a seeded random split of the unassigned ones, checked before
anything is written, and what a snapshot then freezes."""

from __future__ import annotations

import pytest

from storage import NotFoundError, ValidationError
from storage.splits import random_split, split_counts


@pytest.mark.parametrize("n,fractions,counts", [
    (20, (0.7, 0.15, 0.15), (14, 3, 3)), (10, (0.7, 0.15, 0.15), (7, 2, 1)), (3, (0.7, 0.15, 0.15), (1, 1, 1)),
    (2, (0.7, 0.15, 0.15), (2, 0, 0)), (5, (1, 0, 0), (5, 0, 0)), (4, (2, 1, 1), (2, 1, 1)),
    (0, (0.7, 0.2, 0.1), (0, 0, 0)),
])
def test_split_counts_round_by_largest_remainder_and_give_each_split_a_video(n, fractions, counts):
    assert split_counts(n, fractions) == counts


def test_a_random_split_is_reproducible_and_ignores_the_order_of_the_ids():
    ids = [f"v{i:02d}" for i in range(20)]
    split = random_split(ids, seed=3)
    assert split == random_split(list(reversed(ids)), seed=3) != random_split(ids, seed=4)
    assert sorted(split.values()).count("validation") == 3 and set(split) == set(ids)


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0, 0, 0), (-1, 1, 1), ("a", 1, 1), (float("nan"), 1, 1)])
def test_bad_fractions_are_refused(fractions):
    with pytest.raises(ValidationError, match="fractions"):
        split_counts(10, fractions)


def test_assign_by_hand_then_split_the_rest_at_random_and_the_snapshot_keeps_it(store):
    for i in range(8):
        store.record_video(f"v{i}", duration=10.0)
    assert store.assign_subsets({"v0": "test", "v1": "validation"}) == 2
    assert store.assign_subsets({"v0": "test"}) == 0  # already so
    with pytest.raises(ValidationError, match="subset must be one of"):
        store.assign_subsets({"v2": "holdout", "v3": "train"})
    with pytest.raises(NotFoundError, match="no video"):
        store.assign_subsets({"v3": "train", "nope": "train"})
    assert {v.video_id: v.subset for v in store.list_videos()}["v3"] is None  # nothing written by refused calls
    split = store.assign_random_split((0.5, 0.25, 0.25), seed=1)
    assert set(split) == {f"v{i}" for i in range(2, 8)} and split == random_split(split, (0.5, 0.25, 0.25), 1)
    assert store.assign_random_split(seed=1) == {}  # nobody left unassigned
    subsets = {v.video_id: v.subset for v in store.list_videos()}
    assert subsets["v0"] == "test" and subsets["v1"] == "validation" and None not in subsets.values()
    store.assign_subsets({"v7": None})
    snapshot = store.create_snapshot("s", list(subsets))
    database = store.snapshot_annotations(snapshot.snapshot_id)["database"]
    assert {v: database[v]["subset"] for v in subsets} == {**subsets, "v7": "train"}  # unassigned: train
