"""Evaluation: hand-computed AP values, the benchmark's edge cases, and the real UnAV-100 annotation file."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from loco.evaluate import (
    AGNOSTIC_LABEL,
    EvaluationInputError,
    GroundTruth,
    Segment,
    class_agnostic,
    evaluate_detections,
    evaluate_files,
    interpolated_average_precision,
    label_ids_for,
    load_ground_truth,
    load_predictions,
    score_predictions,
    segment_iou,
    write_predictions,
)


def _gt(*segments: tuple[str, float, float, int]) -> GroundTruth:
    return GroundTruth(
        segments=[Segment(v, s, e, k) for v, s, e, k in segments],
        class_names={0: "dog barking", 1: "guitar"},
        video_ids=sorted({v for v, *_ in segments}),
    )


def test_hand_computed_ap_tp_fp_tp():
    gt = _gt(("a", 0, 10, 0), ("a", 20, 30, 0))
    preds = [Segment("a", 0, 10, 0, 0.9), Segment("a", 40, 50, 0, 0.8), Segment("a", 20, 30, 0, 0.7)]
    result = evaluate_detections(gt, preds, thresholds=[0.5])
    # precision [1, 1/2, 2/3], recall [1/2, 1/2, 1] -> 1/2 * 1 + 1/2 * 2/3
    assert result.ap[0, 0] == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_threshold_decides_true_positive():
    gt = _gt(("a", 0, 10, 0))
    result = evaluate_detections(gt, [Segment("a", 0, 5, 0, 0.9)], thresholds=[0.4, 0.5, 0.6])
    assert result.ap[:, 0].tolist() == [1.0, 1.0, 0.0]  # tIoU is exactly 0.5


def test_locked_ground_truth_and_other_video_are_false_positives():
    gt = _gt(("a", 0, 10, 0), ("b", 0, 10, 0))
    preds = [Segment("a", 0, 10, 0, 0.9), Segment("a", 0, 9, 0, 0.8), Segment("c", 0, 10, 0, 0.7), Segment("b", 1, 10, 0, 0.6)]
    result = evaluate_detections(gt, preds, thresholds=[0.5])
    # TP, FP (locked), FP (no gt in video), TP: precision [1, .5, 1/3, .5], recall [.5, .5, .5, 1]
    assert result.ap[0, 0] == pytest.approx(0.5 * 1 + 0.5 * 0.5)


def test_duplicate_ground_truth_is_removed(tmp_path):
    db = {
        "database": {
            "a": {
                "subset": "test",
                "duration": 30,
                "annotations": [
                    {"segment": [0.0, 10.0], "label": "dog barking", "label_id": 0},
                    {"segment": [0.0005, 10.0009], "label": "dog barking", "label_id": 0},
                    {"segment": [0.0, 10.0], "label": "guitar", "label_id": 1},
                ],
            }
        }
    }
    gt = load_ground_truth(db, "test")
    assert len(gt.segments) == 2
    result = evaluate_detections(gt, [Segment("a", 0, 10, 0, 0.9), Segment("a", 0, 10, 1, 0.9)])
    assert result.average_map == 1.0  # with the duplicate kept, recall could not pass 1/2


def test_class_absent_from_predictions_counts_as_zero_and_extra_class_is_ignored():
    gt = _gt(("a", 0, 10, 0), ("a", 0, 10, 1))
    result = evaluate_detections(gt, [Segment("a", 0, 10, 0, 0.9), Segment("a", 0, 10, 7, 0.9)])
    assert result.class_ids == [0, 1]
    assert result.ap[:, 0].tolist() == [1.0] * 9 and result.ap[:, 1].tolist() == [0.0] * 9
    assert result.map_at(0.5) == 0.5 and result.summary()["avg"] == 0.5
    assert result.per_class()[1]["num_predictions"] == 0


def test_empty_predictions_give_zero():
    result = evaluate_detections(_gt(("a", 0, 10, 0)), [])
    assert result.average_map == 0.0 and set(result.summary()) == {"mAP@0.5", "mAP@0.6", "mAP@0.7", "mAP@0.8", "mAP@0.9", "avg"}


def test_score_ties_resolve_like_the_benchmark_later_prediction_first():
    """``np.argsort(scores)[::-1]``: of two equal scores, the one given later is ranked first."""
    gt = _gt(("a", 0, 10, 0))
    hit, miss = Segment("a", 0, 10, 0, 0.5), Segment("a", 50, 60, 0, 0.5)
    assert evaluate_detections(gt, [hit, miss], [0.5]).ap[0, 0] == pytest.approx(0.5)  # miss ranked first
    assert evaluate_detections(gt, [miss, hit], [0.5]).ap[0, 0] == pytest.approx(1.0)  # hit ranked first


def test_interpolation_pads_and_makes_precision_monotone():
    assert interpolated_average_precision(np.array([0.0, 0.5]), np.array([0.0, 1.0])) == 0.5
    assert interpolated_average_precision(np.array([1.0]), np.array([0.5])) == 0.5


def test_prediction_json_round_trip_with_names_and_ids(tmp_path):
    gt = _gt(("a", 0, 10, 0), ("a", 20, 30, 1))
    preds = [Segment("a", 0, 10, 0, 0.9), Segment("a", 20, 30, 1, 0.8)]
    path = tmp_path / "preds.json"
    write_predictions(path, preds, gt.class_names)
    assert load_predictions(path, gt.label_ids_by_name) == preds
    by_name = {"results": {"a": [{"segment": [20, 30], "label": "guitar", "score": 0.4}]}}
    assert load_predictions(by_name, gt.label_ids_by_name) == [Segment("a", 20, 30, 1, 0.4)]
    renumbered = {"results": {"a": [{"segment": [20, 30], "label_id": 7, "label": "guitar", "score": 0.4}]}}
    assert load_predictions(renumbered, gt.label_ids_by_name) == [Segment("a", 20, 30, 1, 0.4)]  # the name wins
    research_spelling = {"database": {"a": [{"segment": [0, 10], "label_id": 0, "scores": 0.3}]}}
    assert load_predictions(research_spelling) == [Segment("a", 0, 10, 0, 0.3)]
    with pytest.raises(EvaluationInputError, match="unknown label"):
        load_predictions({"results": {"a": [{"segment": [0, 1], "label": "cat", "score": 1}]}}, gt.label_ids_by_name)
    with pytest.raises(EvaluationInputError, match="segment"):
        load_predictions({"results": {"a": [{"label_id": 0, "score": 1}]}})


# ----------------------------------------------------------------------------- a transcription of the benchmark code
def _benchmark_ap(gt_df: pd.DataFrame, pred_df: pd.DataFrame, thresholds) -> np.ndarray:
    """The benchmark's pandas loop (ActivityNet ``compute_average_precision_detection``), for one class."""
    ap = np.zeros(len(thresholds))
    if pred_df.empty:
        return ap
    lock_gt = np.ones((len(thresholds), len(gt_df))) * -1
    pred_df = pred_df.loc[pred_df["score"].values.argsort()[::-1]].reset_index(drop=True)
    tp, fp = np.zeros((len(thresholds), len(pred_df))), np.zeros((len(thresholds), len(pred_df)))
    groups = gt_df.groupby("video-id")
    for idx, row in pred_df.iterrows():
        if row["video-id"] not in groups.groups:
            fp[:, idx] = 1
            continue
        this_gt = groups.get_group(row["video-id"]).reset_index()
        inter = (np.minimum(row["t-end"], this_gt["t-end"].values) - np.maximum(row["t-start"], this_gt["t-start"].values)).clip(0)
        union = (this_gt["t-end"].values - this_gt["t-start"].values) + (row["t-end"] - row["t-start"]) - inter
        tiou = inter.astype(float) / union
        for t, thr in enumerate(thresholds):
            for j in tiou.argsort()[::-1]:
                if tiou[j] < thr:
                    fp[t, idx] = 1
                    break
                if lock_gt[t, this_gt.loc[j]["index"]] >= 0:
                    continue
                tp[t, idx] = 1
                lock_gt[t, this_gt.loc[j]["index"]] = idx
                break
            if fp[t, idx] == 0 and tp[t, idx] == 0:
                fp[t, idx] = 1
    tpc, fpc = np.cumsum(tp, axis=1).astype(float), np.cumsum(fp, axis=1).astype(float)
    rec, prec = tpc / float(len(gt_df)), tpc / (tpc + fpc)
    for t in range(len(thresholds)):
        mprec, mrec = np.hstack([[0], prec[t], [0]]), np.hstack([[0], rec[t], [1]])
        for i in range(len(mprec) - 1)[::-1]:
            mprec[i] = max(mprec[i], mprec[i + 1])
        i = np.where(mrec[1::] != mrec[0:-1])[0] + 1
        ap[t] = np.sum((mrec[i] - mrec[i - 1]) * mprec[i])
    return ap


def _perturbed_predictions(gt: GroundTruth, seed: int) -> list[Segment]:
    """Ground truth jittered, with some misses, wrong labels, extra boxes and many tied (rounded) scores."""
    rng = random.Random(seed)
    preds = []
    for g in gt.segments:
        if rng.random() < 0.1:
            continue
        length = g.end - g.start
        start = g.start + rng.uniform(-0.3, 0.3) * length
        end = g.end + rng.uniform(-0.3, 0.3) * length
        label = g.label_id if rng.random() < 0.9 else rng.randrange(100)
        preds.append(Segment(g.video_id, start, max(end, start + 0.1), label, round(rng.random(), 1)))
        if rng.random() < 0.3:
            preds.append(Segment(g.video_id, rng.uniform(0, 30), rng.uniform(30, 60), g.label_id, round(rng.random(), 1)))
    return preds


def test_unav100_ground_truth_as_predictions_scores_one_and_perturbed_lower(unav_annotation_file):
    gt = load_ground_truth(unav_annotation_file, "test")
    assert len(gt.video_ids) == 2167 and len(gt.class_names) == 100
    perfect = evaluate_detections(gt, [Segment(g.video_id, g.start, g.end, g.label_id, 1.0) for g in gt.segments])
    assert perfect.class_ids == list(range(100))
    assert perfect.average_map == 1.0 and all(v == 1.0 for v in perfect.summary().values())
    perturbed = evaluate_detections(gt, _perturbed_predictions(gt, seed=0))
    assert 0.0 < perturbed.map_at(0.9) < perturbed.map_at(0.5) < 0.95
    assert perturbed.average_map < 1.0


@pytest.mark.slow
def test_equals_the_benchmark_loop_bit_for_bit_on_unav100(unav_annotation_file, tmp_path):
    """Same AP values, to the last bit, as the benchmark's pandas code on 12 real classes with noisy, tied scores."""
    gt = load_ground_truth(unav_annotation_file, "test")
    preds = _perturbed_predictions(gt, seed=1)
    path = tmp_path / "preds.json"
    write_predictions(path, preds, gt.class_names)
    ours = evaluate_files(unav_annotation_file, path, "test")
    thresholds = np.linspace(0.1, 0.9, 9)
    gt_df = pd.DataFrame([(g.video_id, g.start, g.end, g.label_id) for g in gt.segments], columns=["video-id", "t-start", "t-end", "label"])
    pred_df = pd.DataFrame([(p.video_id, p.start, p.end, p.label_id, p.score) for p in preds],
                           columns=["video-id", "t-start", "t-end", "label", "score"])
    for k in range(0, 100, 9):
        expected = _benchmark_ap(
            gt_df[gt_df["label"] == k].reset_index(drop=True), pred_df[pred_df["label"] == k].reset_index(drop=True), thresholds
        )
        assert ours.ap[:, ours.class_ids.index(k)].tolist() == expected.tolist()
    assert "man speaking" in ours.format_table()
    json.dumps(ours.to_dict())


def test_class_agnostic_scores_right_spans_with_wrong_names_and_counts_a_doubted_span_once():
    gt = _gt(("a", 0, 10, 0), ("a", 20, 30, 1), ("b", 5, 15, 1))
    preds = [
        Segment("a", 0, 10, 1, 0.9),  # right span, wrong name
        Segment("a", 0.2, 10, 0, 0.5),  # the same span under the other name: a doubt, not a second detection
        Segment("a", 20, 30, 0, 0.8),  # right span, wrong name
        Segment("b", 30, 40, 1, 0.7),  # a span with no event
    ]
    # with names: only the doubted span's second label is right (class 0: AP 1/2, class 1: AP 0)
    assert evaluate_detections(gt, preds, thresholds=[0.5]).map_at(0.5) == pytest.approx(0.25)
    agnostic_gt, agnostic_preds = class_agnostic(gt, preds)
    assert [p.score for p in agnostic_preds] == [0.9, 0.8, 0.7]
    assert agnostic_gt.class_names == {0: AGNOSTIC_LABEL} and len(agnostic_gt.segments) == 3
    result = evaluate_detections(agnostic_gt, agnostic_preds, thresholds=[0.5])
    # TP, TP, FP, and one event never found: precision [1, 1, 2/3], recall [1/3, 2/3, 2/3]
    assert result.map_at(0.5) == pytest.approx(2 / 3)


def test_class_agnostic_keeps_separate_spans_that_merely_overlap():
    gt = _gt(("a", 0, 10, 0), ("a", 5, 15, 1))
    preds = [Segment("a", 0, 10, 0, 0.9), Segment("a", 5, 15, 0, 0.8)]  # tIoU 1/3: two events, both kept
    _, agnostic_preds = class_agnostic(gt, preds)
    assert len(agnostic_preds) == 2


def test_segment_iou_is_the_benchmarks_formula_and_empty_unions_score_zero():
    target, rows = np.array([0.0, 2.0]), np.array([[1.0, 3.0], [5.0, 6.0], [0.0, 2.0], [0.5, 1.0]])
    assert segment_iou(target, rows).tolist() == [1 / 3, 0.0, 1.0, 0.25]
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 50, 200)
    spans = np.stack([starts, starts + rng.uniform(0, 20, 200)], axis=1)
    inter = (np.minimum(spans[0, 1], spans[:, 1]) - np.maximum(spans[0, 0], spans[:, 0])).clip(0)
    union = (spans[:, 1] - spans[:, 0]) + (spans[0, 1] - spans[0, 0]) - inter
    assert segment_iou(spans[0], spans).tolist() == (inter / union).tolist()  # to the last bit
    assert segment_iou([3.0, 3.0], [[3.0, 3.0], [2.0, 4.0]]).tolist() == [0.0, 0.0]  # no 0 / 0
    assert segment_iou([0.0, 1.0], np.zeros((0, 2))).shape == (0,)


def test_classes_the_ground_truth_lacks_never_match_and_count_class_agnostically():
    gt = _gt(("a", 0, 10, 0), ("a", 20, 30, 1))
    ids = label_ids_for(["guitar", "siren", "dog barking", "rain"], gt)
    assert ids == {"guitar": 1, "dog barking": 0, "siren": -1, "rain": -2}
    sparse = GroundTruth([Segment("a", 0, 10, -3)], {-3: "dog barking", 5: "guitar"}, ["a"])
    assert label_ids_for(["siren", "guitar"], sparse) == {"guitar": 5, "siren": -4}  # below every id of the file
    # "siren" found the guitar's span: no match by name, a hit when names do not matter
    preds = [Segment("a", 0, 10, ids["dog barking"], 0.9), Segment("a", 20, 30, ids["siren"], 0.8)]
    evaluation = score_predictions(gt, preds, agnostic=True)
    assert evaluation.named.map_at(0.5) == 0.5 and evaluation.named.num_predictions == [1, 0]
    assert evaluation.agnostic.map_at(0.5) == 1.0
    assert score_predictions(gt, preds).agnostic is None
    assert evaluation.to_dict()["agnostic_summary"]["mAP@0.5"] == 1.0
