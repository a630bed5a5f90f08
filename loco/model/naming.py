"""Naming the classes without training examples on the model's own detections (ours, not LoCo's;
``postprocess.untrained_naming = "detections"``, docs/model.md §7).

The open-vocabulary head's branch scores a class without examples at every point, and over a frozen closed-set trunk
it localises such classes loosely (experiments/README, "Keeping the seen classes"). This names them without
training instead. Every detection of a trained class is a span where the detector found an event heard and seen;
each class without examples is given the same span, scored

    s * e_c^v

``s`` the detection's score, ``e_c`` the class's label-space evidence averaged over the span's steps (``audio``: its
best AudioSet label, as the label prior reads it; ``audio_visual``: the geometric mean of that and its visual
evidence over the streams that have labels for it), ``v`` = ``postprocess.naming_exponent``. The detector says
*that* something is heard and seen there and *where*; the label spaces say *which*. A named class never scores above
the detection it is named on, so a span the detector doubts stays doubtful (and below the Timeline's threshold)
whatever its label spaces say. A class that the chosen streams have no label for gets evidence 0 and is never
named; ``naming_per_detection`` > 0 lets a detection name only the classes of best evidence there. Per class
soft-NMS then merges the copies that overlapping detections give.

The named classes get a budget of their own: a video keeps its ``max_detections`` best detections of the trained
classes and, beside them, the ``max_detections`` best named ones. In one shared cut the copies crowded the trained
classes out (with the 100 classes of the taxonomy, one detection gives up to 60 copies), which lowered the trained
classes' AP for no gain; this way a trained class is decoded exactly as without naming.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loco.config import PostprocessConfig
from loco.model.soft_nms import soft_nms

if TYPE_CHECKING:  # the label prior's module loads the encoders' heads; decoding needs only its evidence
    from loco.label_prior import StepEvidence


def class_evidence(evidence: StepEvidence, segments: np.ndarray, streams: str) -> np.ndarray:
    """[N, C] evidence of every class over each of ``segments`` [N, 2] (steps) in ``streams``: "audio", its AudioSet
    evidence (0 where it has no AudioSet label); "audio_visual", the geometric mean over the streams that have
    labels for it (0 where neither has)."""
    audio, visual = (np.clip(mean, 0.0, 1.0) for mean in evidence.segment_means(segments))
    if streams == "audio":
        return np.where(evidence.audio_mapped, audio, 0.0)
    return evidence.mapped_geometric_mean(audio, visual, unmapped=0.0)


def name_untrained(
    segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, untrained: np.ndarray, evidence: StepEvidence,
    cfg: PostprocessConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trained classes' detections (after their soft-NMS) and, on their spans, the untrained classes'
    (``untrained`` [C] bool), soft-NMS'd per class and cut to ``max_detections`` of their own; all best first."""
    columns = np.flatnonzero(untrained)
    if not len(scores) or not len(columns):
        return segments, scores, labels
    found = class_evidence(evidence, segments, cfg.naming_streams)[:, columns]
    named = scores[:, None] * found ** cfg.naming_exponent
    if 0 < cfg.naming_per_detection < len(columns):  # each detection names its best classes only
        below = np.argsort(-found, axis=1, kind="stable")[:, cfg.naming_per_detection:]
        np.put_along_axis(named, below, 0.0, axis=1)
    copies = soft_nms(np.repeat(segments, len(columns), axis=0), named.reshape(-1),
                      np.tile(columns, len(scores)), cfg.nms_sigma, cfg.min_score, cfg.max_detections)
    merged = [np.concatenate(parts) for parts in zip((segments, scores, labels), copies)]
    order = np.argsort(-merged[1], kind="stable")
    return merged[0][order], merged[1][order], merged[2][order]
