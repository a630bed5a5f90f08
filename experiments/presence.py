"""Can the encoders' features tell that a photo is on screen, or that its sound is audible, for exemplars never seen?

An audio-visual event is a photo visible AND its sound audible; a sound without its photo (``sound_only`` distractor)
can only be told from an event by the picture, a photo without its sound (``photo_only``) only by the sound. This
experiment asks how much of that the frozen features carry, independently of any localisation model. Linear probes
(standardised features, logistic regression) learn from the training split's steps:
- visual → whether a photo is visible, audio → whether a stamp's sound is audible: targets that use the dataset's
  record of the distractors (``build_info.json``), which no UnAV-format annotation has;
- both streams → whether the step lies in an annotated event: the annotations alone, what a detector learns from.
Each probe's regularisation C is chosen on the dev split (exemplars held out from training and test).

Columns: ROC AUC of each probe's own target on validation (training exemplars), dev and test (held-out exemplars),
then on test the AUC of event steps against sound-only, photo-only and background steps: the separation
``experiments/mechanisms.py`` measures for the trained detectors' scores.

    python experiments/presence.py --annotations data/benchmark/annotations.json --features data/benchmark/features
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from loco.grid import UNAV_GRID
from mechanisms import SplitVideo, event_aucs, load_split, step_groups  # the sibling script, beside this one

PROBES = {  # name -> (streams it reads, layer kinds that make its target true)
    "visual → photo visible": (("visual",), ("event", "photo_only")),
    "audio → sound audible": (("audio",), ("event", "sound_only")),
    "both → event (annotations only)": (("visual", "audio"), ("event",)),
}
C_GRID = tuple(10.0 ** e for e in range(-7, 1))  # 1e-7 .. 1


@dataclass(frozen=True)
class StepTable:
    """Every step of a split: features per stream, each probe's target and the mechanisms' step groups."""

    features: dict[str, np.ndarray]  # stream -> [N, C]
    targets: dict[str, np.ndarray]  # probe -> [N] bool
    groups: np.ndarray  # [N] event / sound_only / photo_only / background

    def inputs(self, probe: str) -> np.ndarray:
        return np.concatenate([self.features[stream] for stream in PROBES[probe][0]], axis=1)


def step_table(videos: list[SplitVideo]) -> StepTable:
    features, targets, groups = {"visual": [], "audio": []}, {probe: [] for probe in PROBES}, []
    for video in videos:
        times = UNAV_GRID.step_times(len(video.visual))
        groups.append(step_groups(video.plan, times, video.events))
        features["visual"].append(video.visual)
        features["audio"].append(video.audio)
        for probe, (_, kinds) in PROBES.items():
            on = np.zeros(len(times), dtype=bool)
            for layer in video.plan["layers"]:
                if layer["kind"] in kinds:
                    on |= (times >= layer["start"]) & (times < layer["end"])
            targets[probe].append(on)
    return StepTable({s: np.concatenate(v) for s, v in features.items()},
                     {p: np.concatenate(v) for p, v in targets.items()}, np.concatenate(groups))


def probe_row(probe: str, splits: dict[str, StepTable]) -> dict[str, float]:
    """Fit on train for each C, keep the best on dev, report its AUCs."""
    train = splits["train"]

    def fit(c: float):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))
        return model.fit(train.inputs(probe), train.targets[probe])

    def auc(model, table: StepTable) -> float:
        return float(roc_auc_score(table.targets[probe], model.decision_function(table.inputs(probe))))

    fitted = {c: fit(c) for c in C_GRID}
    best_c = max(C_GRID, key=lambda c: auc(fitted[c], splits["dev"]))
    model = fitted[best_c]
    row = {"C (dev)": best_c, **{f"AUC {name}": auc(model, splits[name]) for name in ("validation", "dev", "test")}}
    test = splits["test"]
    scores = model.decision_function(test.inputs(probe))
    row.update(event_aucs(scores, test.groups, "test"))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, required=True, help="annotations.json with build_info.json beside")
    parser.add_argument("--features", type=Path, required=True)
    args = parser.parse_args()

    splits = {name: step_table(load_split(args.annotations, args.features, name))
              for name in ("train", "validation", "dev", "test")}
    rows = {probe: probe_row(probe, splits) for probe in PROBES}
    columns = list(next(iter(rows.values())))
    print("| probe | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for probe, row in rows.items():
        cells = (f"{row[c]:g}" if c.startswith("C") else f"{row[c]:.3f}" for c in columns)
        print(f"| {probe} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
