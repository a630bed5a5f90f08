import numpy as np
import torch

from loco.config import PostprocessConfig
from loco.model.loco import LoCoOutput
from loco.model.postprocess import decode_detections
from loco.model.soft_nms import soft_nms, soft_nms_single_class


def test_scores_never_increase_and_identical_boxes_are_suppressed():
    segments = np.array([[0.0, 10.0], [0.0, 10.0], [5.0, 15.0]])
    scores = np.array([0.9, 0.8, 0.7])
    kept, kept_scores = soft_nms_single_class(segments, scores, sigma=0.4, min_score=0.0, max_keep=10)
    assert kept_scores[0] == 0.9
    duplicate = kept_scores[np.all(kept == [0.0, 10.0], axis=1)][1]
    # decayed by the identical box (IoU 1), then by [5, 15] (IoU 1/3)
    assert np.isclose(duplicate, 0.8 * np.exp(-1 / 0.4) * np.exp(-(1 / 3) ** 2 / 0.4))
    assert np.all(np.sort(kept_scores)[::-1] <= np.sort(scores)[::-1] + 1e-12)
    assert np.isclose(kept_scores[np.all(kept == [5.0, 15.0], axis=1)][0], 0.7 * np.exp(-(1 / 3) ** 2 / 0.4))


def test_disjoint_boxes_are_untouched():
    segments = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 9.0]])
    scores = np.array([0.3, 0.9, 0.5])
    kept, kept_scores = soft_nms_single_class(segments, scores, sigma=0.4, min_score=0.0, max_keep=10)
    assert kept_scores.tolist() == [0.9, 0.5, 0.3]
    assert kept.tolist() == [[2.0, 3.0], [4.0, 9.0], [0.0, 1.0]]


def test_classes_do_not_suppress_each_other_and_topk_caps():
    segments = np.array([[0.0, 10.0], [0.0, 10.0], [0.0, 10.0]])
    scores = np.array([0.9, 0.8, 0.7])
    _, kept_scores, kept_labels = soft_nms(segments, scores, np.array([0, 1, 2]), 0.4, 0.0, max_keep=10)
    assert kept_scores.tolist() == [0.9, 0.8, 0.7] and kept_labels.tolist() == [0, 1, 2]
    _, capped, _ = soft_nms(segments, scores, np.array([0, 1, 2]), 0.4, 0.0, max_keep=2)
    assert capped.tolist() == [0.9, 0.8]


def test_scores_below_min_score_are_dropped():
    segments = np.array([[0.0, 10.0], [0.0, 10.0]])
    _, kept = soft_nms_single_class(segments, np.array([0.9, 0.05]), sigma=0.4, min_score=0.01, max_keep=10)
    assert kept.tolist() == [0.9]  # 0.05 * exp(-2.5) = 0.004 < 0.01


def test_decode_places_segments_around_level_points():
    num_classes = 3
    logits = [torch.full((1, 8, num_classes), -20.0), torch.full((1, 4, num_classes), -20.0)]
    logits[1][0, 2, 1] = 3.0  # level 1, token 2 -> step 4, class 1
    offsets = [torch.zeros(1, 8, num_classes, 2), torch.zeros(1, 4, num_classes, 2)]
    offsets[1][0, 2, 1] = torch.tensor([1.5, 0.5])  # stride 2 -> [4 - 3, 4 + 1]
    masks = [torch.ones(1, 8, dtype=torch.bool), torch.ones(1, 4, dtype=torch.bool)]
    output = LoCoOutput(logits, offsets, masks, None, None, None)
    detections = decode_detections(output, PostprocessConfig(), num_classes)
    assert len(detections) == 1 and len(detections[0]) == 1
    best = detections[0][0]
    assert (best.label, best.start, best.end) == (1, 1.0, 5.0)
    assert np.isclose(best.score, 1 / (1 + np.exp(-3.0)))
    masks[1][0, 2] = False  # padded points never produce detections
    assert decode_detections(output, PostprocessConfig(), num_classes) == [[]]
