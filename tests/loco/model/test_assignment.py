import pytest
import torch

from loco.model.assignment import SegmentTargets, assign_targets, level_points, steps_inside_events

RANGES = [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]


def _targets(segments, labels):
    return SegmentTargets(torch.tensor(segments, dtype=torch.float32), torch.tensor(labels))


def test_points_sit_at_multiples_of_the_stride():
    positions, strides, levels = level_points([5, 3, 2])
    assert positions.tolist() == [0, 1, 2, 3, 4, 0, 2, 4, 0, 4]
    assert strides.tolist() == [1] * 5 + [2] * 3 + [4] * 2
    assert levels.tolist() == [0] * 5 + [1] * 3 + [2] * 2


def test_short_segment_goes_to_level_zero_points_strictly_inside():
    assigned = assign_targets(_targets([[2.0, 5.0]], [1]), [8, 4], RANGES[:2], num_classes=3)
    positives = assigned.classes[:, 1].nonzero().squeeze(1).tolist()
    assert positives == [3, 4]  # step 2 and 5 are on the boundary (not strictly inside); 3: max(1, 2) = 2 in [0, 4]
    assert assigned.offsets[3, 1].tolist() == [1.0, 2.0] and assigned.offsets[4, 1].tolist() == [2.0, 1.0]
    assert assigned.classes[:, [0, 2]].sum() == 0


def test_level_range_uses_max_of_left_and_right():
    # segment [0, 12]: point 6 has max distance 6 -> only level 1 (range [4, 8]), in units of the stride 2
    assigned = assign_targets(_targets([[0.0, 12.0]], [0]), [16, 8, 4], RANGES[:3], num_classes=1)
    level0, level1, level2 = assigned.classes[:16, 0], assigned.classes[16:24, 0], assigned.classes[24:, 0]
    assert level0.nonzero().squeeze(1).tolist() == []  # every inside point has max distance >= 6 > 4
    assert (level1.nonzero().squeeze(1) * 2).tolist() == [4, 6, 8]  # max distances 8, 6, 8
    assert (level2.nonzero().squeeze(1) * 4).tolist() == [4, 8]  # max distance 8 is also in [8, 16] (inclusive)
    assert assigned.offsets[16 + 3, 0].tolist() == [3.0, 3.0]  # point 6 at stride 2: (6, 6) / 2


def test_class_aware_multi_positive_and_shortest_per_class():
    segments = [[0.0, 6.0], [1.0, 5.0], [2.0, 7.0]]
    assigned = assign_targets(_targets(segments, [0, 0, 2]), [8], RANGES[:1], num_classes=3)
    point = 3  # inside all three, max distances 3, 2, 4
    assert assigned.classes[point].tolist() == [1.0, 0.0, 1.0]
    assert assigned.offsets[point, 0].tolist() == [2.0, 2.0]  # the shorter class-0 segment [1, 5]
    assert assigned.offsets[point, 2].tolist() == [1.0, 4.0]
    assert assigned.shortest[point].tolist() == [2.0, 2.0]


def test_fractional_segments_and_no_segments():
    assigned = assign_targets(_targets([[0.5, 1.5]], [0]), [4], RANGES[:1], num_classes=1)
    assert assigned.classes[:, 0].tolist() == [0.0, 1.0, 0.0, 0.0]
    empty = assign_targets(SegmentTargets(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)), [4], RANGES[:1], 2)
    assert empty.classes.sum() == 0


def test_bad_labels_raise():
    with pytest.raises(ValueError, match="labels"):
        assign_targets(_targets([[0.0, 4.0]], [5]), [4], RANGES[:1], num_classes=3)


def test_steps_inside_events_ignore_class_and_boundaries():
    inside = steps_inside_events(_targets([[2.0, 5.0], [4.0, 7.5], [20.0, 30.0]], [1, 0, 2]), 10)
    assert inside.tolist() == [False, False, False, True, True, True, True, True, False, False]
    assert not steps_inside_events(SegmentTargets(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)), 4).any()
