"""Why test mAP trails validation mAP on the default dataset: how far held-out exemplars sit from training ones.

Every annotated event becomes one vector per stream (the mean feature over the steps whose centre lies inside the
segment, L2-normalised). Two classifiers learn the classes from the training events: the nearest class centroid
(cosine) and a linear probe (logistic regression, scikit-learn). Each validation event (same recordings and photos
as training) and each test event (recordings and photos never seen in training) is then classified. Accuracy per
split and stream tells how much a classifier of these encoders' features carries over to new exemplars,
independently of any localisation model.

    python bench/exemplar_gap.py --annotations data/benchmark/annotations.json --features data/benchmark/features
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loco.data.unav import load_video_features  # noqa: E402
from loco.grid import UNAV_GRID  # noqa: E402

STREAMS = ("visual", "audio", "both")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-8)


def event_vectors(annotations: dict, feature_dir: Path) -> dict[str, list[tuple[str, dict[str, np.ndarray]]]]:
    """subset -> [(label, {stream: unit vector})] for every event with at least one step inside it."""
    events: dict[str, list[tuple[str, dict[str, np.ndarray]]]] = defaultdict(list)
    for video_id, video in annotations["database"].items():
        visual, audio = load_video_features(feature_dir, video_id, "loco")
        centres = UNAV_GRID.step_times(len(visual))
        for event in video["annotations"]:
            inside = (centres >= event["segment"][0]) & (centres <= event["segment"][1])
            if not inside.any():
                continue
            v, a = _unit(visual[inside].mean(0)), _unit(audio[inside].mean(0))
            events[video["subset"]].append((event["label"], {"visual": v, "audio": a, "both": np.concatenate([v, a])}))
    return events


def nearest_centroid_accuracy(train, evaluated, stream: str) -> tuple[float, dict[str, float]]:
    """Overall and per-class accuracy of the nearest training-class centroid for the ``evaluated`` events."""
    by_class: dict[str, list[np.ndarray]] = defaultdict(list)
    for label, vectors in train:
        by_class[label].append(vectors[stream])
    labels = sorted(by_class)
    centroids = _unit(np.stack([np.mean(by_class[label], 0) for label in labels]))
    hits: dict[str, list[bool]] = defaultdict(list)
    for label, vectors in evaluated:
        hits[label].append(labels[int(np.argmax(centroids @ vectors[stream]))] == label)
    overall = float(np.mean([h for values in hits.values() for h in values]))
    return overall, {label: float(np.mean(values)) for label, values in sorted(hits.items())}


def linear_probe_accuracies(train, evaluated_sets, stream: str) -> list[float]:
    """Accuracy on each of ``evaluated_sets`` of one logistic regression fitted on the training events' vectors."""
    from sklearn.linear_model import LogisticRegression

    probe = LogisticRegression(max_iter=2000).fit(np.stack([v[stream] for _, v in train]), [label for label, _ in train])
    return [float(probe.score(np.stack([v[stream] for _, v in events]), [label for label, _ in events]))
            for events in evaluated_sets]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotations", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    events = event_vectors(json.loads(args.annotations.read_text()), args.features)
    test_classes = {label for label, _ in events["test"]}
    seen = [(label, v) for label, v in events["validation"] if label in test_classes]
    report = {}
    print(f"events: train {len(events['train'])}, validation {len(seen)} (classes that have test exemplars), "
          f"test {len(events['test'])}")
    print(f"{'classifier':16s} {'stream':8s} {'validation (seen exemplars)':>28s} {'test (held-out exemplars)':>26s}")
    for stream in STREAMS:
        val, _ = nearest_centroid_accuracy(events["train"], seen, stream)
        test, per_class = nearest_centroid_accuracy(events["train"], events["test"], stream)
        probe_val, probe_test = linear_probe_accuracies(events["train"], [seen, events["test"]], stream)
        report[stream] = {"validation": val, "test": test, "test_per_class": per_class,
                          "probe_validation": probe_val, "probe_test": probe_test}
        print(f"{'nearest centroid':16s} {stream:8s} {val:28.3f} {test:26.3f}")
        print(f"{'linear probe':16s} {stream:8s} {probe_val:28.3f} {probe_test:26.3f}")
    print("nearest-centroid test accuracy per class (visual / audio / both):")
    for label in sorted(test_classes):
        print(f"  {label:26s} " + " / ".join(f"{report[s]['test_per_class'][label]:.2f}" for s in STREAMS))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
