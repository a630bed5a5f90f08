from __future__ import annotations

import numpy as np

from loco.data.builder.plan import VideoPlan, plan_dataset, plan_video, timeline_statistics

COUNTS = {"train": 12, "validation": 4, "test": 8}


def test_same_seed_gives_the_same_plans(catalogue, templates, backgrounds):
    first = plan_dataset(catalogue, templates, backgrounds, COUNTS, seed=5)
    again = plan_dataset(catalogue, templates, backgrounds, COUNTS, seed=5)
    other = plan_dataset(catalogue, templates, backgrounds, COUNTS, seed=6)
    assert [p.to_dict() for p in first] == [p.to_dict() for p in again]
    assert [p.to_dict() for p in first] != [p.to_dict() for p in other]
    bigger = plan_dataset(catalogue, templates, backgrounds, {"train": 20}, seed=5)
    assert [p.to_dict() for p in bigger[:12]] == [p.to_dict() for p in first[:12]]


def test_plans_are_valid_timelines(catalogue, templates, backgrounds):
    for plan in plan_dataset(catalogue, templates, backgrounds, COUNTS, seed=1):
        assert 10.0 <= plan.duration <= 60.0
        events = plan.events()
        assert events, "every template has at least one event"
        event_classes = {e.label for e in events}
        for layer in plan.layers:
            assert 0.0 <= layer.start < layer.end <= plan.duration + 1e-6
            if layer.kind != "event":
                assert layer.label is None and layer.stamp not in {e.stamp for e in events}
        for label in event_classes:
            same = sorted((e.start, e.end) for e in events if e.label == label)
            assert all(a[1] < b[0] for a, b in zip(same, same[1:])), f"{label} overlaps itself"
        annotations = plan.annotation_entry()["annotations"]
        assert [a["label"] for a in annotations] == [e.label for e in events]
        assert VideoPlan.from_dict(plan.to_dict()) == plan


def test_built_statistics_follow_the_unav_templates(catalogue, templates, backgrounds):
    rng = np.random.default_rng(0)
    plans = [plan_video(rng, f"v{i}", "train", catalogue, templates, backgrounds) for i in range(300)]
    built = timeline_statistics([(p.duration, [(e.start, e.end, e.label) for e in p.events()]) for p in plans])
    real = timeline_statistics([(1.0, t) for t in templates.timelines])
    assert abs(built["events_per_video"] - real["events_per_video"]) < 0.6
    assert abs(built["videos_with_overlap"] - real["videos_with_overlap"]) < 0.1
    assert abs(built["relative_duration_median"] - real["relative_duration_median"]) < 0.08
    durations = np.array([p.duration for p in plans])  # UnAV-100's lengths: 10-60 s, mean 42 s
    assert durations.min() >= 10.0 and durations.max() <= 60.0 and abs(durations.mean() - 42.0) < 3.0


def test_timeline_statistics_counts_overlaps():
    stats = timeline_statistics([(10.0, [(0, 5, "a"), (4, 6, "b")]), (10.0, [(0, 1, "a")])])
    assert stats["events_per_video"] == 1.5
    assert stats["classes_per_video"] == 1.5
    assert stats["videos_with_overlap"] == 0.5
