"""What LCC and CDP do on the default dataset: why LoCo does not beat the baseline there.

Three tables, per variant (mean ± std over the runs given, one folder ``<variant>-seed<N>/`` each):

1. Distractors. LCC is meant to tell an audio-visual event from a sound without its picture or a picture without its
   sound; the default dataset renders such distractors on purpose and its ``build_info.json`` records where (layers of
   kind ``sound_only`` and ``photo_only``). Each run's detections (any label) give every feature step a score, the
   best score among the detections covering the step's centre. Steps are grouped: inside an annotated event, inside a
   sound-only or photo-only distractor (and no event), or neither (background). Columns: the ROC AUC of event steps
   against each other group (1 = every event step outscores every such step; 0.5 = no separation) and the mean score
   per group.
2. LCC (runs with LCC): how well its coherence alone separates event steps from each other group (ROC AUC), the same
   for the visual gate (a monotonic function of the coherence, so the same AUC, unless the gates read the same step's
   agreement, ``model.lcc.gate_input=agreement``), its mean coherence per step group, how much
   the gate ``g = sigmoid(alpha * c + beta)`` varies over steps (std; the features are scaled by ``1 + g``) and its
   learned scalars (initialised at alpha 5, beta -2.5). Last, the mean coherence when each video's picture is paired
   with ANOTHER video's sound: if it stays as high as with the real pairs, the correspondence does not come from the
   content (both encoders add the same absolute position code, which alone solves the label-free objective).
3. CDP (runs with adaptive CDP): the predicted window span ``dL + dR`` (tokens, averaged over heads) per pyramid level,
   and at level 0 the correlation, over events, between an event's duration and the mean span at its steps (CDP is
   meant to adapt the window to event duration).

    python experiments/mechanisms.py --annotations data/benchmark/annotations.json --features data/benchmark/features \
        --runs data/ablation/*-seed*/ [--split test] [--json data/mechanisms_test.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from loco.checkpoint import LoadedModel, load_checkpoint
from loco.data.unav import load_video_features
from loco.evaluate import Segment, load_ground_truth
from loco.infer import PredictedEvent, VideoPrediction, predict_features

EVENT, BACKGROUND = "event", "background"
DISTRACTORS = ("sound_only", "photo_only")  # build_info layer kinds
GROUPS = (EVENT, *DISTRACTORS, BACKGROUND)
LCC_SIGNALS = ("coherence_visual", "coherence_audio", "gate_visual", "gate_audio")  # VideoInternals fields
Row = dict[str, float]


def step_groups(plan: dict, times: np.ndarray, events: list[Segment]) -> np.ndarray:
    """The group of each step centre: event, a distractor kind (outside every event) or background."""
    groups = np.full(len(times), BACKGROUND, dtype=object)
    for layer in plan["layers"]:
        if layer["kind"] in DISTRACTORS:
            groups[(times >= layer["start"]) & (times < layer["end"])] = layer["kind"]
    for event in events:
        groups[(times >= event.start) & (times < event.end)] = EVENT
    return groups


def step_scores(times: np.ndarray, detections: list[PredictedEvent]) -> np.ndarray:
    """Best detection score covering each step centre (0 where none does)."""
    scores = np.zeros(len(times))
    for detection in detections:
        covered = (times >= detection.start) & (times < detection.end)
        scores[covered] = np.maximum(scores[covered], detection.score)
    return scores


def group_means(values: np.ndarray, groups: np.ndarray, name: str) -> Row:
    return {f"{name} {group}": float(values[groups == group].mean()) for group in GROUPS}


def event_aucs(values: np.ndarray, groups: np.ndarray, name: str) -> Row:
    """ROC AUC of ``values`` at event steps against each other group's steps."""
    row = {}
    events = values[groups == EVENT]
    for other in (*DISTRACTORS, BACKGROUND):
        negatives = values[groups == other]
        labels = np.r_[np.ones(len(events)), np.zeros(len(negatives))]
        row[f"{name} AUC vs {other}"] = float(roc_auc_score(labels, np.r_[events, negatives]))
    return row


def separation(scores: np.ndarray, groups: np.ndarray) -> Row:
    """AUC of event steps' scores against each other group, and the mean score of every group."""
    return {**event_aucs(scores, groups, "score"), **group_means(scores, groups, "score")}


@dataclass
class RunRecorder:
    """Collects one run's per-step scores, groups and internals over the split's videos."""

    scores: list[np.ndarray] = field(default_factory=list)
    groups: list[np.ndarray] = field(default_factory=list)
    lcc: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    spans: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))  # level -> [tokens]
    event_spans: list[tuple[float, float]] = field(default_factory=list)  # (duration, mean level-0 span)
    mismatched_coherence: list[np.ndarray] = field(default_factory=list)  # picture of one video, sound of another

    def add(self, prediction: VideoPrediction, plan: dict, events: list[Segment], adaptive: bool) -> None:
        times, internals = prediction.step_times, prediction.internals
        self.scores.append(step_scores(times, prediction.events))
        self.groups.append(step_groups(plan, times, events))
        if internals.gate_visual is not None:
            for name in LCC_SIGNALS:
                self.lcc[name].append(getattr(internals, name))
        if adaptive:
            for level, (left, right) in enumerate(zip(internals.cdp_left, internals.cdp_right)):
                self.spans[level].append((left + right).mean(axis=0))
            level0 = self.spans[0][-1]
            for event in events:
                inside = (times >= event.start) & (times < event.end)
                if inside.any():
                    self.event_spans.append((event.end - event.start, float(level0[inside].mean())))

    def separation_row(self) -> Row:
        return separation(np.concatenate(self.scores), np.concatenate(self.groups))

    def lcc_row(self, loaded: LoadedModel) -> Row | None:
        if not self.lcc:
            return None
        groups = np.concatenate(self.groups)
        signals = {name: np.concatenate(values) for name, values in self.lcc.items()}
        row = {}
        for name in ("coherence_visual", "coherence_audio", "gate_visual"):
            row.update(event_aucs(signals[name], groups, name))
        for name in ("coherence_visual", "coherence_audio"):
            row.update(group_means(signals[name], groups, name))
        for name in ("gate_visual", "gate_audio"):
            row[f"{name} std"] = float(signals[name].std())
        row["coherence, real pairs"] = float(np.r_[signals["coherence_visual"], signals["coherence_audio"]].mean())
        row["coherence, mismatched pairs"] = float(np.concatenate(self.mismatched_coherence).mean())
        lcc = loaded.model.lcc
        for index, stream in enumerate(("visual", "audio")):
            row[f"alpha {stream}"] = lcc.gate_alpha[index].item()
            row[f"beta {stream}"] = lcc.gate_beta[index].item()
        return row

    def cdp_row(self) -> Row | None:
        if not self.spans:
            return None
        row = {f"span level {level}": float(np.concatenate(spans).mean())
               for level, spans in sorted(self.spans.items())}
        durations, spans = np.array(self.event_spans).T
        row["level-0 span vs event duration (r)"] = float(np.corrcoef(durations, spans)[0, 1])
        return row


@dataclass(frozen=True)
class SplitVideo:
    video_id: str
    duration: float
    visual: np.ndarray  # [T, C_v]
    audio: np.ndarray  # [T, C_a]
    events: list[Segment]
    plan: dict  # its build_info plan (where the distractors are)


def load_split(annotations: Path, features: Path, split: str) -> list[SplitVideo]:
    """The split's videos with their features, events and plans, read once for every run."""
    build_info = json.loads((annotations.parent / "build_info.json").read_text())
    plans = {plan["video_id"]: plan for plan in build_info["plans"] if plan["subset"] == split}
    ground_truth = load_ground_truth(annotations, split)
    events: dict[str, list[Segment]] = defaultdict(list)
    for event in ground_truth.segments:
        events[event.video_id].append(event)
    return [SplitVideo(video_id, ground_truth.durations[video_id], *load_video_features(features, video_id, "loco"),
                       events[video_id], plans[video_id])
            for video_id in ground_truth.video_ids]


def inspect_run(checkpoint: Path, videos: list[SplitVideo]) -> tuple[Row, Row | None, Row | None]:
    """(distractor row, LCC row or None, CDP row or None) of one checkpoint on the split."""
    loaded = load_checkpoint(checkpoint)
    adaptive = loaded.config.model.cdp.mode == "adaptive"
    recorder = RunRecorder()
    for index, video in enumerate(videos):
        prediction = predict_features(loaded, video.visual, video.audio, video.duration, with_internals=True)
        recorder.add(prediction, video.plan, video.events, adaptive)
        if loaded.model.lcc is not None:
            other_audio = videos[(index + 1) % len(videos)].audio
            internals = predict_features(loaded, video.visual, other_audio, None, with_internals=True).internals
            recorder.mismatched_coherence.append(np.r_[internals.coherence_visual, internals.coherence_audio])
    return recorder.separation_row(), recorder.lcc_row(loaded), recorder.cdp_row()


def print_table(title: str, rows: dict[str, list[Row]]) -> None:
    """Markdown table: one line per variant, mean ± std over its runs."""
    if not rows:
        return
    columns = list(next(iter(rows.values()))[0])
    print(f"\n| {title} | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for variant, runs in rows.items():
        cells = []
        for column in columns:
            values = [run[column] for run in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f}")
        print(f"| {variant} (n = {len(runs)}) | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, required=True, help="annotations.json with build_info.json beside")
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--runs", type=Path, nargs="+", required=True,
                        help="run folders named <variant>-seed<N>, each with best.safetensors")
    parser.add_argument("--split", default="test")
    parser.add_argument("--json", type=Path, help="write every run's rows here")
    args = parser.parse_args()

    videos = load_split(args.annotations, args.features, args.split)
    tables: dict[str, dict[str, list[Row]]] = {"distractors": defaultdict(list), "lcc": defaultdict(list),
                                                "cdp": defaultdict(list)}
    for run_dir in sorted(args.runs):
        variant = run_dir.name.split("-seed")[0]
        rows = inspect_run(run_dir / "best.safetensors", videos)
        for table, row in zip(tables.values(), rows):
            if row is not None:
                table[variant].append(row)
        print(f"{run_dir.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in rows[0].items()), flush=True)

    print_table(f"distractors ({args.split})", tables["distractors"])
    print_table(f"LCC ({args.split})", tables["lcc"])
    print_table(f"CDP ({args.split})", tables["cdp"])
    if args.json is not None:
        args.json.write_text(json.dumps(tables, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
