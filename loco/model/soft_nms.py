"""Per-class Gaussian soft-NMS (Bodla et al., 2017; docs/model.md §6): overlapping detections of one class decay
instead of being dropped, so two events that overlap both survive."""

from __future__ import annotations

import numpy as np

from loco.evaluate import segment_iou


def soft_nms_single_class(
    segments: np.ndarray, scores: np.ndarray, sigma: float, min_score: float, max_keep: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian soft-NMS of one class: repeatedly take the best and decay the rest by ``exp(-IoU^2 / sigma)``.

    Returns the kept segments and their decayed scores, best first. Stops early once the best remaining score is
    below ``min_score`` (scores never increase) or ``max_keep`` are kept.
    """
    segments = segments.astype(np.float64, copy=True)
    scores = scores.astype(np.float64, copy=True)
    kept_segments, kept_scores = [], []
    while scores.size and len(kept_scores) < max_keep:
        best = int(np.argmax(scores))
        if scores[best] < min_score:
            break
        kept_segments.append(segments[best])
        kept_scores.append(scores[best])
        segments = np.delete(segments, best, axis=0)
        scores = np.delete(scores, best)
        if scores.size:
            scores *= np.exp(-(segment_iou(kept_segments[-1], segments) ** 2) / sigma)
    return np.asarray(kept_segments, dtype=np.float64).reshape(-1, 2), np.asarray(kept_scores, dtype=np.float64)


def soft_nms(
    segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, sigma: float, min_score: float, max_keep: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class soft-NMS; classes never suppress each other. Returns the ``max_keep`` best overall, best first."""
    out_segments, out_scores, out_labels = [], [], []
    for label in np.unique(labels):
        chosen = labels == label
        kept_segments, kept_scores = soft_nms_single_class(segments[chosen], scores[chosen], sigma, min_score, max_keep)
        out_segments.append(kept_segments)
        out_scores.append(kept_scores)
        out_labels.append(np.full(len(kept_scores), label, dtype=np.int64))
    if not out_scores:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=np.int64)
    all_segments, all_scores, all_labels = map(np.concatenate, (out_segments, out_scores, out_labels))
    order = np.argsort(-all_scores, kind="stable")[:max_keep]
    return all_segments[order], all_scores[order], all_labels[order]
