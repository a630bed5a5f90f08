"""Naming the classes without examples on the trained classes' detections (loco/model/naming.py), by hand."""

import numpy as np
import pytest
import torch

from loco.config import PostprocessConfig, load_config
from loco.label_prior import StepEvidence
from loco.model.loco import LoCoOutput
from loco.model.postprocess import decode_detections

S0 = 1 / (1 + np.exp(-1.0))  # the trained class 0's detection score (logit 1)


def one_detection_output(num_classes: int) -> LoCoOutput:
    """Class 0 (trained) fires at step 1 with offsets (1, 1): the segment [0, 2]; the last class's own logit is high
    at step 3 (what the open branch would say), segment [2, 4]."""
    logits = torch.full((1, 4, num_classes), -20.0)
    logits[0, 1, 0] = 1.0
    logits[0, 3, num_classes - 1] = 5.0
    return LoCoOutput([logits], [torch.ones(1, 4, 2)], [torch.ones(1, 4, dtype=torch.bool)], None, None, None)


def evidence_of(audio: list[list[float]], visual: list[list[float]], audio_mapped, visual_mapped) -> StepEvidence:
    return StepEvidence(np.array(audio, dtype=float), np.array(visual, dtype=float), np.array(audio_mapped),
                        np.array(visual_mapped))


def by_label(detections) -> dict[int, list[tuple[float, float, float]]]:
    out: dict[int, list[tuple[float, float, float]]] = {}
    for d in detections:
        out.setdefault(d.label, []).append((d.start, d.end, d.score))
    return out


# class 2 is untrained; its audio evidence over steps 0-2 averages 0.4, its visual evidence 0.9
EVIDENCE = evidence_of(audio=[[0.9, 0.1, 0.2], [0.9, 0.1, 0.6], [0.9, 0.1, 0.4], [0.0, 0.0, 0.0]],
                       visual=[[0.5, 0.5, 0.9]] * 4, audio_mapped=[True, True, True],
                       visual_mapped=[True, True, True])
UNTRAINED = np.array([False, False, True])


def test_the_open_branch_names_by_its_own_logits_unless_asked_otherwise():
    found = by_label(decode_detections(one_detection_output(3), PostprocessConfig(), 3, [EVIDENCE], UNTRAINED)[0])
    assert found[2] == [(2.0, 4.0, pytest.approx(1 / (1 + np.exp(-5.0))))]


def test_an_untrained_class_takes_the_trained_detections_span_at_its_score_times_the_evidence():
    cfg = PostprocessConfig(untrained_naming="detections", naming_exponent=1.0)
    found = by_label(decode_detections(one_detection_output(3), cfg, 3, [EVIDENCE], UNTRAINED)[0])
    assert found[0] == [(0.0, 2.0, pytest.approx(S0))]  # the trained class is decoded as without naming
    # its own high logit at step 3 is ignored: it is named on class 0's span only, s * 0.4
    assert found[2] == [(0.0, 2.0, pytest.approx(S0 * 0.4))]
    both = PostprocessConfig(untrained_naming="detections", naming_exponent=0.5, naming_streams="audio_visual")
    found = by_label(decode_detections(one_detection_output(3), both, 3, [EVIDENCE], UNTRAINED)[0])
    assert found[2] == [(0.0, 2.0, pytest.approx(S0 * np.sqrt(0.4 * 0.9) ** 0.5))]


def test_the_evidence_is_that_of_the_streams_that_have_labels_for_the_class():
    # class 1: a visual label only; class 2: an AudioSet label only; class 3: neither
    evidence = evidence_of(audio=[[0.9, 0.0, 0.5, 0.7]] * 4, visual=[[0.5, 0.9, 0.0, 0.7]] * 4,
                           audio_mapped=[True, False, True, False], visual_mapped=[True, True, False, False])
    untrained = np.array([False, True, True, True])
    both = PostprocessConfig(untrained_naming="detections", naming_streams="audio_visual")
    found = by_label(decode_detections(one_detection_output(4), both, 4, [evidence], untrained)[0])
    assert found[1] == [(0.0, 2.0, pytest.approx(S0 * 0.9))] and found[2] == [(0.0, 2.0, pytest.approx(S0 * 0.5))]
    assert 3 not in found
    audio = PostprocessConfig(untrained_naming="detections", naming_streams="audio")
    found = by_label(decode_detections(one_detection_output(4), audio, 4, [evidence], untrained)[0])
    assert sorted(found) == [0, 2]  # its visual evidence is high, but no AudioSet label names class 1


def test_a_detection_names_only_its_best_classes_and_copies_have_their_own_budget():
    # classes 1-3 untrained, audio evidence 0.2 / 0.8 / 0.5 over the span
    evidence = evidence_of(audio=[[0.9, 0.2, 0.8, 0.5]] * 4, visual=[[0.0] * 4] * 4,
                           audio_mapped=[True] * 4, visual_mapped=[False] * 4)
    untrained = np.array([False, True, True, True])
    best_one = PostprocessConfig(untrained_naming="detections", naming_per_detection=1)
    found = by_label(decode_detections(one_detection_output(4), best_one, 4, [evidence], untrained)[0])
    assert sorted(found) == [0, 2]
    every = PostprocessConfig(untrained_naming="detections", max_detections=1)
    detections = decode_detections(one_detection_output(4), every, 4, [evidence], untrained)[0]
    # one trained detection kept and, beside it, the best named one (not one cut shared by both kinds)
    assert sorted((d.label, d.score) for d in detections) == [(0, pytest.approx(S0)),
                                                               (2, pytest.approx(S0 * 0.8))]


def test_without_evidence_or_untrained_classes_nothing_is_named():
    cfg = PostprocessConfig(untrained_naming="detections")
    output = one_detection_output(3)
    plain = decode_detections(output, PostprocessConfig(), 3)
    assert decode_detections(output, cfg, 3) == plain
    assert decode_detections(output, cfg, 3, [EVIDENCE], np.zeros(3, dtype=bool)) == plain


@pytest.mark.parametrize("field, value", [("naming_exponent", "-1"), ("naming_per_detection", "-1"),
                                          ("untrained_naming", "branch"), ("naming_streams", "visual")])
def test_bad_naming_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        load_config("compact", [f"postprocess.{field}={value}"])
