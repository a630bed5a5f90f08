from dataclasses import dataclass

import numpy as np

from studio.probes import blank, matched_score, modality_dependence


@dataclass
class Ev:
    label: str
    start: float
    end: float
    score: float


def test_matching_by_label_and_temporal_iou():  # the tIoU itself: tests/loco/test_evaluate.py
    event = Ev("dog", 1, 3, 0.9)
    assert matched_score(event, [Ev("dog", 1.1, 3, 0.4), Ev("cat", 1, 3, 0.8), Ev("dog", 5, 6, 0.9)]) == 0.4
    assert matched_score(event, []) == 0.0


def test_modality_dependence_classifies_each_event():
    full = [Ev("bark", 0, 2, 0.8), Ev("guitar", 3, 5, 0.8), Ev("car", 6, 8, 0.8), Ev("speech", 9, 10, 0.8)]
    no_audio = [Ev("guitar", 3, 5, 0.7), Ev("speech", 9, 10, 0.7)]
    no_visual = [Ev("bark", 0, 2, 0.75), Ev("speech", 9, 10, 0.1)]
    rows = {r.label: r for r in modality_dependence(full, no_audio, no_visual)}
    assert rows["bark"].depends_on == "audio"  # lost without audio, kept without video
    assert rows["guitar"].depends_on == "visual"
    assert rows["car"].depends_on == "both"
    assert rows["speech"].depends_on == "visual"
    assert rows["speech"].score_without_visual == 0.1


def test_blank_is_zero_with_the_same_shape():
    features = np.ones((5, 3), np.float32)
    assert blank(features).shape == (5, 3) and not blank(features).any()
