"""Detection mAP exactly as the UnAV-100 benchmark computes it (ActivityNet-style interpolated AP; the protocol is in
docs/data.md).

Every step mirrors the benchmark's metrics module so that our numbers equal its numbers:
- ground truth of the evaluated subset, per video minus exact duplicates (same label, start/end within 1e-3 s);
- AP for each class present in the ground truth; mAP is their mean;
- per class, predictions keep their input order (videos in the order given, each video's list in order) and are then
  sorted with ``np.argsort(scores)[::-1]``. That is numpy's default (quicksort/introsort) ascending sort, reversed:
  for equal scores the prediction that came LATER in the input is tried first (numpy's default sort keeps ties in input
  order on these sizes; the reversal flips them). We call the very same function, so ties resolve exactly as the
  benchmark resolves them;
- ground truths of the prediction's video are tried in ``np.argsort(tiou)[::-1]`` order, locked per threshold;
- all-point interpolated precision/recall AP (VOC 2011).

One deliberate difference: the benchmark re-indexes ground-truth classes to ``0..K-1`` but leaves prediction labels
that are absent from the ground truth untouched, so such a label can collide with a re-indexed class. We ignore
predictions of classes absent from the ground truth instead (identical results whenever the ground truth has every
class, as the UnAV-100 test split does); a model's classes the ground truth lacks get ids no ground-truth class has
(:func:`label_ids_for`), so they are ignored per class and still count class-agnostically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from loco.io import atomic_write

TIOU_THRESHOLDS: tuple[float, ...] = tuple(np.round(np.linspace(0.1, 0.9, 9), 2).tolist())
REPORTED_THRESHOLDS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)
DUPLICATE_TOLERANCE_S = 1e-3


class EvaluationInputError(ValueError):
    """An annotation or prediction file that cannot be evaluated (wrong schema, unknown label, bad segment)."""


@dataclass(frozen=True)
class Segment:
    """One ground-truth or predicted event in seconds (``score`` is 1.0 for ground truth)."""

    video_id: str
    start: float
    end: float
    label_id: int
    score: float = 1.0


@dataclass
class GroundTruth:
    """Ground-truth events of one subset (duplicates removed) plus the class-name table of the annotation file."""

    segments: list[Segment]
    class_names: dict[int, str]
    video_ids: list[str]
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def label_ids_by_name(self) -> dict[str, int]:
        return {name: label_id for label_id, name in self.class_names.items()}


@dataclass
class EvaluationResult:
    """AP per threshold and class (``ap[i, k]`` for ``thresholds[i]`` and ``class_ids[k]``) and the summaries."""

    thresholds: list[float]
    class_ids: list[int]
    class_names: list[str]
    ap: np.ndarray
    num_ground_truth: list[int]
    num_predictions: list[int]

    @property
    def map_per_threshold(self) -> dict[float, float]:
        if not self.class_ids:
            return {t: 0.0 for t in self.thresholds}
        return {t: float(v) for t, v in zip(self.thresholds, self.ap.mean(axis=1))}

    @property
    def average_map(self) -> float:
        """Mean over all thresholds (the benchmark's "avg")."""
        return float(np.mean(list(self.map_per_threshold.values()))) if self.thresholds else 0.0

    def map_at(self, threshold: float) -> float:
        for t, value in self.map_per_threshold.items():
            if abs(t - threshold) < 1e-9:
                return value
        raise KeyError(f"threshold {threshold} was not evaluated (evaluated: {self.thresholds})")

    def summary(self) -> dict[str, float]:
        """``{"mAP@0.5": .., ..., "mAP@0.9": .., "avg": ..}`` for the reported thresholds present."""
        out = {f"mAP@{t:g}": self.map_at(t) for t in REPORTED_THRESHOLDS
               if any(abs(t - x) < 1e-9 for x in self.thresholds)}
        out["avg"] = self.average_map
        return out

    def per_class(self) -> list[dict[str, Any]]:
        """One row per class: name, counts, AP at each threshold and the class's average AP."""
        rows = []
        for k, (class_id, name) in enumerate(zip(self.class_ids, self.class_names)):
            row: dict[str, Any] = {
                "label_id": class_id,
                "label": name,
                "num_ground_truth": self.num_ground_truth[k],
                "num_predictions": self.num_predictions[k],
            }
            row.update({f"AP@{t:g}": float(self.ap[i, k]) for i, t in enumerate(self.thresholds)})
            row["AP_avg"] = float(self.ap[:, k].mean()) if self.thresholds else 0.0
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "thresholds": list(self.thresholds), "per_class": self.per_class()}

    def format_table(self) -> str:
        """A plain-text report: the summary line, then the per-class table (AP in %)."""
        summary = "  ".join(f"{k} {100 * v:.2f}" for k, v in self.summary().items())
        header = f"{'class':<32} {'#gt':>5} {'#pred':>6} " + " ".join(f"{t:>5g}" for t in self.thresholds) + "   avg"
        lines = [summary, header]
        for row in self.per_class():
            aps = " ".join(f"{100 * row[f'AP@{t:g}']:5.1f}" for t in self.thresholds)
            lines.append(
                f"{row['label'][:32]:<32} {row['num_ground_truth']:>5} {row['num_predictions']:>6} {aps} "
                f"{100 * row['AP_avg']:5.1f}"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------- reading
def remove_duplicate_annotations(annotations: list[Mapping], tol: float = DUPLICATE_TOLERANCE_S) -> list[Mapping]:
    """Drop events that repeat an earlier one (same label, start and end within ``tol`` seconds); order is kept."""
    kept: list[Mapping] = []
    for event in annotations:
        start, end = event["segment"]
        if not any(
            abs(start - k["segment"][0]) <= tol and abs(end - k["segment"][1]) <= tol
            and event["label_id"] == k["label_id"]
            for k in kept
        ):
            kept.append(event)
    return kept


def _read_json(source: str | Path | Mapping) -> Mapping:
    if isinstance(source, Mapping):
        return source
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf8"))
    except json.JSONDecodeError as err:
        raise EvaluationInputError(f"{path} is not valid JSON: {err}") from None


# Beside "database", an annotation file may list the proposals a user rejected, per video, in the annotations' own
# layout: {"<video_id>": [{"segment": [s, e], "label": name, "label_id": id, "score": p}]} (docs/data.md). Evaluation
# ignores them; training reads them as hard negatives (loco.data.unav).
REJECTED_KEY = "rejected"


def class_table(database: Mapping) -> dict[int, str]:
    """``label_id -> label`` from every annotation of the file (all subsets), checking the pairs agree."""
    names: dict[int, str] = {}
    for video_id, entry in database.items():
        for event in entry.get("annotations", []):
            label_id, label = int(event["label_id"]), str(event.get("label", event["label_id"]))
            if names.setdefault(label_id, label) != label:
                raise EvaluationInputError(
                    f"label_id {label_id} is both {names[label_id]!r} and {label!r} (video {video_id})"
                )
    return names


def load_ground_truth(annotations: str | Path | Mapping, split: str | None = "test") -> GroundTruth:
    """Ground truth of one subset (``None`` = all videos) from a UnAV-format annotation file or its parsed dict."""
    data = _read_json(annotations)
    database = data.get("database") if isinstance(data, Mapping) else None
    if not isinstance(database, Mapping):
        raise EvaluationInputError("annotation file has no 'database' mapping")
    names = class_table(database)
    segments: list[Segment] = []
    video_ids: list[str] = []
    durations: dict[str, float] = {}
    for video_id, entry in database.items():
        if split is not None and str(entry.get("subset", "")).lower() != split.lower():
            continue
        video_ids.append(video_id)
        if "duration" in entry:
            durations[video_id] = float(entry["duration"])
        for event in remove_duplicate_annotations(entry.get("annotations", [])):
            start, end = (float(x) for x in event["segment"])
            segments.append(Segment(video_id, start, end, int(event["label_id"])))
    return GroundTruth(segments=segments, class_names=names, video_ids=video_ids, durations=durations)


def load_predictions(source: str | Path | Mapping, label_ids_by_name: Mapping[str, int] | None = None) -> list[Segment]:
    """Predictions from ``{"results": {vid: [{"segment", "label_id" | "label", "score"}]}}``.

    Also accepts the research code's spelling (``"database"`` and ``"scores"``). Input order is preserved: it decides
    how equal scores are ranked, exactly as in the benchmark.
    """
    data = _read_json(source)
    results = data.get("results", data.get("database")) if isinstance(data, Mapping) else None
    if not isinstance(results, Mapping):
        raise EvaluationInputError("prediction file has no 'results' mapping")
    out: list[Segment] = []
    for video_id, events in results.items():
        if not isinstance(events, list):
            raise EvaluationInputError(f"predictions of video {video_id!r} are not a list")
        for event in events:
            out.append(_prediction_from_dict(video_id, event, label_ids_by_name))
    return out


def _prediction_from_dict(video_id: str, event: Mapping, label_ids_by_name: Mapping[str, int] | None) -> Segment:
    try:
        start, end = (float(x) for x in event["segment"])
        score = float(event["score"] if "score" in event else event["scores"])
    except (KeyError, TypeError, ValueError):
        raise EvaluationInputError(
            f"prediction {event!r} of video {video_id!r} needs 'segment' [s, e] and 'score'") from None
    # A class name the ground truth knows wins over a numeric id: a model's own class numbers need not be the file's.
    if "label" in event and label_ids_by_name is not None and event["label"] in label_ids_by_name:
        label_id = int(label_ids_by_name[event["label"]])
    elif "label_id" in event:
        label_id = int(event["label_id"])
    elif "label" in event:
        raise EvaluationInputError(f"unknown label {event['label']!r} in predictions of video {video_id!r}")
    else:
        raise EvaluationInputError(f"prediction {event!r} of video {video_id!r} has neither 'label_id' nor 'label'")
    return Segment(str(video_id), start, end, label_id, score)


def write_predictions(
    path: str | Path, predictions: Iterable[Segment], class_names: Mapping[int, str] | None = None
) -> None:
    """Write predictions in the UnAV-format results JSON (with label names when ``class_names`` is given),
    atomically."""
    results: dict[str, list[dict[str, Any]]] = {}
    for p in predictions:
        item: dict[str, Any] = {"segment": [p.start, p.end], "label_id": p.label_id, "score": p.score}
        if class_names is not None and p.label_id in class_names:
            item["label"] = class_names[p.label_id]
        results.setdefault(p.video_id, []).append(item)
    with atomic_write(path, "w") as handle:
        json.dump({"results": results}, handle)


# ------------------------------------------------------------------------------------------------------------- maths
def segment_iou(target: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Temporal IoU of one ``[start, end]`` with each row of ``candidates`` [N, 2], in any unit (seconds, steps): the
    intersection clipped at 0 over the union, the benchmark's formula to the last bit; 0 where the union is empty (two
    zero-length spans at one point), which the benchmark would divide by. The one tIoU of the project (matching,
    soft-NMS, the class-agnostic merge, the modality probes)."""
    target = np.asarray(target, dtype=float)
    candidates = np.asarray(candidates, dtype=float).reshape(-1, 2)
    inter = (np.minimum(target[1], candidates[:, 1]) - np.maximum(target[0], candidates[:, 0])).clip(0)
    union = (candidates[:, 1] - candidates[:, 0]) + (target[1] - target[0]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def interpolated_average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """All-point interpolated AP (VOC 2011): monotone precision envelope summed where recall changes."""
    mprec = np.hstack([[0.0], precision, [0.0]])
    mrec = np.hstack([[0.0], recall, [1.0]])
    mprec = np.maximum.accumulate(mprec[::-1])[::-1]
    idx = np.where(mrec[1:] != mrec[:-1])[0] + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def average_precision_for_class(
    ground_truth: list[Segment], predictions: list[Segment], thresholds: Iterable[float]
) -> np.ndarray:
    """AP of one class at each threshold, the benchmark's matching loop (see the module docstring)."""
    thresholds = list(thresholds)
    ap = np.zeros(len(thresholds))
    if not predictions:
        return ap
    gt_by_video: dict[str, list[int]] = {}
    for index, g in enumerate(ground_truth):
        gt_by_video.setdefault(g.video_id, []).append(index)
    gt_bounds = np.array([[g.start, g.end] for g in ground_truth], dtype=float).reshape(-1, 2)
    order = np.array([p.score for p in predictions], dtype=float).argsort()[::-1]
    locked = np.full((len(thresholds), len(ground_truth)), -1)
    tp = np.zeros((len(thresholds), len(predictions)))
    fp = np.zeros((len(thresholds), len(predictions)))
    for rank, pred_index in enumerate(order):
        pred = predictions[pred_index]
        indices = gt_by_video.get(pred.video_id)
        if not indices:
            fp[:, rank] = 1
            continue
        tiou = segment_iou(np.array([pred.start, pred.end]), gt_bounds[indices])
        tiou_order = tiou.argsort()[::-1]
        for t, threshold in enumerate(thresholds):
            for j in tiou_order:
                if tiou[j] < threshold:
                    fp[t, rank] = 1
                    break
                if locked[t, indices[j]] >= 0:
                    continue
                tp[t, rank] = 1
                locked[t, indices[j]] = rank
                break
            if fp[t, rank] == 0 and tp[t, rank] == 0:
                fp[t, rank] = 1
    tp_cum = np.cumsum(tp, axis=1).astype(float)
    fp_cum = np.cumsum(fp, axis=1).astype(float)
    recall = tp_cum / float(len(ground_truth))
    precision = tp_cum / (tp_cum + fp_cum)
    for t in range(len(thresholds)):
        ap[t] = interpolated_average_precision(precision[t], recall[t])
    return ap


def evaluate_detections(
    ground_truth: GroundTruth,
    predictions: Iterable[Segment],
    thresholds: Iterable[float] = TIOU_THRESHOLDS,
) -> EvaluationResult:
    """AP per class present in the ground truth at each tIoU threshold (predictions of other classes are ignored)."""
    thresholds = [float(t) for t in thresholds]
    gt_by_class: dict[int, list[Segment]] = {}
    for g in ground_truth.segments:
        gt_by_class.setdefault(g.label_id, []).append(g)
    class_ids = sorted(gt_by_class)
    pred_by_class: dict[int, list[Segment]] = {k: [] for k in class_ids}
    for p in predictions:
        if p.label_id in pred_by_class:
            pred_by_class[p.label_id].append(p)
    ap = np.zeros((len(thresholds), len(class_ids)))
    for k, class_id in enumerate(class_ids):
        ap[:, k] = average_precision_for_class(gt_by_class[class_id], pred_by_class[class_id], thresholds)
    return EvaluationResult(
        thresholds=thresholds,
        class_ids=class_ids,
        class_names=[ground_truth.class_names.get(k, str(k)) for k in class_ids],
        ap=ap,
        num_ground_truth=[len(gt_by_class[k]) for k in class_ids],
        num_predictions=[len(pred_by_class[k]) for k in class_ids],
    )


AGNOSTIC_LABEL = "any audio-visual event"
SAME_SPAN_TIOU = 0.9


def class_agnostic(
    ground_truth: GroundTruth, predictions: Iterable[Segment], same_span_tiou: float = SAME_SPAN_TIOU
) -> tuple[GroundTruth, list[Segment]]:
    """Ground truth and predictions with every label replaced by one class: mAP then measures localisation alone
    (was an event that is heard and seen found, whatever its name?).

    A model unsure of the name predicts one span under several labels; of predictions in one video whose spans
    overlap with tIoU >= ``same_span_tiou``, only the highest-scoring one is kept, so naming doubt is not counted as
    false positives. Input order is otherwise kept (it decides ties, as in :func:`evaluate_detections`).
    """
    by_video: dict[str, list[int]] = {}
    listed = list(predictions)
    for index, p in enumerate(listed):
        by_video.setdefault(p.video_id, []).append(index)
    kept: set[int] = set()
    for indices in by_video.values():
        chosen: list[int] = []
        for index in sorted(indices, key=lambda i: -listed[i].score):
            span = np.array([listed[index].start, listed[index].end])
            bounds = np.array([[listed[i].start, listed[i].end] for i in chosen], dtype=float).reshape(-1, 2)
            if not chosen or segment_iou(span, bounds).max() < same_span_tiou:
                chosen.append(index)
        kept.update(chosen)
    relabelled = GroundTruth(
        segments=[Segment(g.video_id, g.start, g.end, 0) for g in ground_truth.segments],
        class_names={0: AGNOSTIC_LABEL},
        video_ids=ground_truth.video_ids,
        durations=ground_truth.durations,
    )
    return relabelled, [Segment(p.video_id, p.start, p.end, 0, p.score) for i, p in enumerate(listed) if i in kept]


def label_ids_for(class_names: Sequence[str], ground_truth: GroundTruth) -> dict[str, int]:
    """The ground truth's label id of each of a model's class names, matched by NAME (a model's class order need not
    follow an annotation file's ids).

    The rule for a name the ground truth lacks: it gets its own id below every ground-truth id (-1, -2, ... in the
    model's order when the file's ids are >= 0), so it never matches a ground-truth class. Per-class AP therefore
    ignores it (:func:`evaluate_detections` scores the ground truth's classes only), while class-agnostic scoring,
    where labels do not matter, counts it like any other detection.
    """
    known = ground_truth.label_ids_by_name
    below = min([0, *known.values()])
    others = [name for name in dict.fromkeys(class_names) if name not in known]
    return {**{name: known[name] for name in class_names if name in known},
            **{name: below - 1 - k for k, name in enumerate(others)}}


@dataclass(frozen=True)
class Evaluation:
    """Predictions scored against a ground truth: per class (the benchmark's mAP) and, when asked, class-agnostic.

    ``class_names`` names every label id of ``predictions`` (the ground truth's classes and any the model adds)."""

    named: EvaluationResult
    agnostic: EvaluationResult | None
    predictions: list[Segment]
    class_names: dict[int, str]

    def to_dict(self) -> dict[str, Any]:
        agnostic = {"agnostic_summary": self.agnostic.summary()} if self.agnostic is not None else {}
        return {**self.named.to_dict(), **agnostic}


def score_predictions(
    ground_truth: GroundTruth,
    predictions: Iterable[Segment],
    agnostic: bool = False,
    class_names: Mapping[int, str] | None = None,
) -> Evaluation:
    """:func:`evaluate_detections` of ``predictions`` and, with ``agnostic``, the same predictions scored after
    :func:`class_agnostic`. ``class_names`` defaults to the ground truth's."""
    listed = list(predictions)
    return Evaluation(
        named=evaluate_detections(ground_truth, listed),
        agnostic=evaluate_detections(*class_agnostic(ground_truth, listed)) if agnostic else None,
        predictions=listed,
        class_names=dict(class_names if class_names is not None else ground_truth.class_names),
    )


def evaluate_files(
    annotation_file: str | Path, prediction_file: str | Path, split: str | None = "test"
) -> EvaluationResult:
    """Evaluate a results JSON against a UnAV-format annotation file (label names resolved with its class table)."""
    gt = load_ground_truth(annotation_file, split)
    return evaluate_detections(gt, load_predictions(prediction_file, gt.label_ids_by_name))
