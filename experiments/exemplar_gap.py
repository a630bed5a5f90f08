"""Why test mAP trails validation mAP on the default dataset: how far held-out exemplars sit from training ones.

Every annotated event becomes one vector per stream (the mean feature over the steps whose centre lies inside the
segment, L2-normalised). Two classifiers learn the classes from the training events: the nearest class centroid
(cosine) and a linear probe (logistic regression, scikit-learn). Each validation event (same recordings and photos
as training) and each test event (recordings and photos never seen in training) is then classified. Accuracy per
split and stream tells how much a classifier of these encoders' features carries over to new exemplars,
independently of any localisation model. ``--held-out dev`` scores the dev split's exemplars instead of test's. When
the dataset's ``build_info.json`` lies beside the annotations, accuracy is also given per held-out exemplar (the stamp
each event was made from).

``--naming-bound`` also scores a detector that localises perfectly and names like the probe: every ground-truth
event of the dev and test splits is predicted once per class, with the probe's class probability p combined with the
encoders' label-space prior as the decoder combines them (``p^(1-w) * prior^w``, ``loco/label_prior.py``). Its mAP
(the same at every tIoU, the spans being exact) bounds what naming of this kind allows; the weight w is chosen on
dev, like the shipped model's.

    python experiments/exemplar_gap.py --annotations data/benchmark/annotations.json --features data/benchmark/features
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loco.data.unav import load_video_features
from loco.evaluate import Segment, evaluate_detections, load_ground_truth
from loco.grid import UNAV_GRID
from loco.label_prior import LabelPrior

STREAMS = ("visual", "audio", "both")
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-8)


@dataclass(frozen=True)
class EventVector:
    label: str
    stamp: str | None  # the exemplar the event was made from, when the build record is known
    vectors: dict[str, np.ndarray]  # stream -> unit vector


def event_stamps(build_info: dict) -> dict[str, list[str]]:
    """video id -> the stamp of each annotated event, in annotation order (the builder writes events sorted by
    start, end, label id)."""
    stamps = {}
    for plan in build_info["plans"]:
        events = sorted((l for l in plan["layers"] if l["kind"] == "event"),
                        key=lambda l: (l["start"], l["end"], l["label_id"]))
        stamps[plan["video_id"]] = [l["stamp"] for l in events]
    return stamps


def stream_vectors(visual: np.ndarray, audio: np.ndarray, steps: np.ndarray) -> dict[str, np.ndarray]:
    """stream -> the unit mean feature over ``steps`` (a mask or indices); "both" joins the two."""
    v, a = _unit(visual[steps].mean(0)), _unit(audio[steps].mean(0))
    return {"visual": v, "audio": a, "both": np.concatenate([v, a])}


def event_vectors(annotations: dict, feature_dir: Path, stamps: dict[str, list[str]] | None = None
                  ) -> dict[str, list[EventVector]]:
    """subset -> an EventVector for every event with at least one step inside it."""
    events: dict[str, list[EventVector]] = defaultdict(list)
    for video_id, video in annotations["database"].items():
        visual, audio = load_video_features(feature_dir, video_id, "loco")
        centres = UNAV_GRID.step_times(len(visual))
        video_stamps = (stamps or {}).get(video_id)
        for index, event in enumerate(video["annotations"]):
            inside = (centres >= event["segment"][0]) & (centres <= event["segment"][1])
            if not inside.any():
                continue
            stamp = video_stamps[index] if video_stamps else None
            events[video["subset"]].append(EventVector(event["label"], stamp, stream_vectors(visual, audio, inside)))
    return events


def nearest_centroid_hits(train: list[EventVector], evaluated: list[EventVector], stream: str) -> list[bool]:
    """For each ``evaluated`` event: is the nearest training-class centroid (cosine) its own class?"""
    by_class: dict[str, list[np.ndarray]] = defaultdict(list)
    for event in train:
        by_class[event.label].append(event.vectors[stream])
    labels = sorted(by_class)
    centroids = _unit(np.stack([np.mean(by_class[label], 0) for label in labels]))
    return [labels[int(np.argmax(centroids @ e.vectors[stream]))] == e.label for e in evaluated]


def grouped_accuracy(events: list[EventVector], hits: list[bool], key) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for event, hit in zip(events, hits):
        groups[key(event)].append(hit)
    return {name: float(np.mean(values)) for name, values in sorted(groups.items())}


def _matrix(events: list[EventVector], stream: str) -> np.ndarray:
    return np.stack([e.vectors[stream] for e in events])


def fit_probe(train: list[EventVector], stream: str):
    """A logistic regression of the class from the training events' vectors of ``stream``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000).fit(_matrix(train, stream), [e.label for e in train])


def linear_probe_accuracies(train: list[EventVector], evaluated_sets: list[list[EventVector]], stream: str
                            ) -> list[float]:
    """Accuracy on each of ``evaluated_sets`` of one logistic regression fitted on the training events' vectors."""
    probe = fit_probe(train, stream)
    return [float(probe.score(_matrix(events, stream), [e.label for e in events])) for events in evaluated_sets]


@dataclass(frozen=True)
class NamingBound:
    """A perfect localiser named by the probe and the label prior at each weight: mAP and top-1 accuracy."""

    map_by_weight: dict[float, float]
    accuracy_by_weight: dict[float, float]


def naming_bound(annotations: dict, feature_dir: Path, probe, split: str,
                 weights: tuple[float, ...] = PRIOR_WEIGHTS) -> NamingBound:
    """Every ground-truth event of ``split`` predicted once per class, scored ``p^(1-w) * prior^w`` (p: ``probe``'s
    probability from the "both" vectors; prior: the label prior over the event's steps, or the nearest step)."""
    ground_truth = load_ground_truth(annotations, split)
    names = [ground_truth.class_names[i] for i in sorted(ground_truth.class_names)]
    ids = [ground_truth.label_ids_by_name[name] for name in names]
    columns = [list(probe.classes_).index(name) if name in probe.classes_ else None for name in names]
    label_prior = LabelPrior(names)
    by_video: dict[str, list[Segment]] = defaultdict(list)
    for segment in ground_truth.segments:
        by_video[segment.video_id].append(segment)
    events, vectors, priors = [], [], []
    for video_id, segments in by_video.items():
        visual, audio = load_video_features(feature_dir, video_id, "loco")
        steps = min(len(visual), len(audio))
        visual, audio = visual[:steps], audio[:steps]
        evidence = label_prior.evidence(visual, audio)
        centres = UNAV_GRID.step_times(steps)
        for segment in segments:
            inside = np.nonzero((centres >= segment.start) & (centres <= segment.end))[0]
            if not len(inside):
                inside = np.array([np.argmin(np.abs(centres - (segment.start + segment.end) / 2))])
            vectors.append(stream_vectors(visual, audio, inside)["both"])
            priors.append(evidence.segment_prior(np.array([[inside[0], inside[-1]]], dtype=np.float64))[0])
            events.append(segment)
    known = probe.predict_proba(np.stack(vectors))
    probabilities = np.stack([known[:, c] if c is not None else np.zeros(len(events)) for c in columns], axis=1)
    truth = np.array([ids.index(e.label_id) for e in events])
    maps, accuracies = {}, {}
    for weight in weights:
        scores = probabilities ** (1.0 - weight) * np.stack(priors) ** weight
        predictions = [Segment(e.video_id, e.start, e.end, label_id, float(score))
                       for e, row in zip(events, scores) for label_id, score in zip(ids, row)]
        maps[weight] = evaluate_detections(ground_truth, predictions, thresholds=[0.5]).map_at(0.5)
        accuracies[weight] = float(np.mean(scores.argmax(axis=1) == truth))
    return NamingBound(maps, accuracies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotations", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--held-out", default="test", choices=["test", "dev"],
                        help="the split of exemplars never seen in training to score (default test)")
    parser.add_argument("--naming-bound", action="store_true",
                        help="also score a perfect localiser named by the probe and the label prior (dev and test)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    build_info = args.annotations.parent / "build_info.json"
    stamps = event_stamps(json.loads(build_info.read_text())) if build_info.is_file() else None
    annotations = json.loads(args.annotations.read_text())
    events = event_vectors(annotations, args.features, stamps)
    held_out = events[args.held_out]
    held_classes = {e.label for e in held_out}
    seen = [e for e in events["validation"] if e.label in held_classes]
    report = {}
    print(f"events: train {len(events['train'])}, validation {len(seen)} (classes that have {args.held_out} "
          f"exemplars), {args.held_out} {len(held_out)}")
    print(f"{'classifier':16s} {'stream':8s} {'validation (seen exemplars)':>28s} "
          f"{args.held_out + ' (held-out exemplars)':>26s}")
    for stream in STREAMS:
        val = float(np.mean(nearest_centroid_hits(events["train"], seen, stream)))
        hits = nearest_centroid_hits(events["train"], held_out, stream)
        probe_val, probe_held = linear_probe_accuracies(events["train"], [seen, held_out], stream)
        report[stream] = {"validation": val, "held_out": float(np.mean(hits)),
                          "held_out_per_class": grouped_accuracy(held_out, hits, lambda e: e.label),
                          "probe_validation": probe_val, "probe_held_out": probe_held}
        if stamps:
            report[stream]["held_out_per_exemplar"] = grouped_accuracy(held_out, hits,
                                                                       lambda e: f"{e.label}: {e.stamp}")
        print(f"{'nearest centroid':16s} {stream:8s} {val:28.3f} {report[stream]['held_out']:26.3f}")
        print(f"{'linear probe':16s} {stream:8s} {probe_val:28.3f} {probe_held:26.3f}")
    print(f"nearest-centroid {args.held_out} accuracy per class (visual / audio / both):")
    for label in sorted(held_classes):
        print(f"  {label:26s} " + " / ".join(f"{report[s]['held_out_per_class'][label]:.2f}" for s in STREAMS))
    if stamps:
        print(f"nearest-centroid {args.held_out} accuracy per held-out exemplar (visual / audio / both):")
        for name in report["both"]["held_out_per_exemplar"]:
            print(f"  {name:66s} " + " / ".join(f"{report[s]['held_out_per_exemplar'][name]:.2f}" for s in STREAMS))
    if args.naming_bound:
        probe = fit_probe(events["train"], "both")
        bounds = {split: naming_bound(annotations, args.features, probe, split) for split in ("dev", "test")}
        chosen = max(PRIOR_WEIGHTS, key=lambda w: bounds["dev"].map_by_weight[w])
        print("perfect localisation named by the probe and the label prior, mAP (top-1 accuracy) per weight w:")
        for split, bound in bounds.items():
            print(f"  {split:5s} " + "  ".join(f"w={w:g}: {100 * bound.map_by_weight[w]:.1f} "
                                              f"({100 * bound.accuracy_by_weight[w]:.0f} %)" for w in PRIOR_WEIGHTS))
        print(f"  chosen on dev: w = {chosen:g}; test mAP {100 * bounds['test'].map_by_weight[chosen]:.1f}")
        report["naming_bound"] = {"chosen_weight": chosen,
                                  **{split: {"map": {str(w): v for w, v in b.map_by_weight.items()},
                                             "accuracy": {str(w): v for w, v in b.accuracy_by_weight.items()}}
                                     for split, b in bounds.items()}}
    if args.json:
        args.json.write_text(json.dumps({"held_out_split": args.held_out, **report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
