"""Does the review queue put false detections on sounds without their picture, and pictures without their sound, first?

The queue (``studio.review``) ranks a video's proposals by the score's uncertainty and by how much sound and picture
disagree over the proposal, with the weight fixed a priori: for a model whose LCC gates were trained against events,
one minus the gates' mean (on one scale for every clip), else how much less they agree than elsewhere in the clip
(the same-step agreement ``S[t, t]`` of LCC; the second row, context for a gate-trained model). This runs a
checkpoint on a split, ranks each video's proposals as the Review page does, and scores the ranking against the
benchmark's record of its distractors (``build_info.json`` beside the annotations, layers of kind ``sound_only`` and
``photo_only``; the step groups of ``experiments/mechanisms.py``).

A proposal is a **distractor false detection** when it matches no annotated event (same class, temporal IoU >= 0.5)
and at least half of its steps lie on a distractor outside every event; its kind is the distractor kind most of those
steps have. Per video with at least one, the precision of its top ``--top`` rows against chance (the share of its rows
that are such detections), and how many of those videos beat it; over all rows, the ROC AUC of the priority (and the
mean per-video AUC). The rows for uncertainty alone (the queue of a model without LCC), agreement alone and the queue
this replaced (uncertainty and ``score * (1 - coherence)``, equal weights) are context, not candidates: the weight was
not chosen on them. Last, the ROC AUC of the agreement itself at event steps against sound-only, photo-only and
background steps (the separation ``experiments/mechanisms.py`` measures for the coherence and the gates): whether the
signal is there at all; and the same for the visual gate, with what the gates read and their learned slope alpha. A
model trained with ``model.lcc.gate_input=agreement`` gates on ``sigmoid(alpha * S[t, t] + beta)``: with alpha > 0
the gate ranks proposals as the agreement does, so the queue ranks by it unchanged.

    python experiments/review_queue.py  # the shipped model on the shipped test split (assets/)
    python experiments/review_queue.py --annotations data/benchmark/annotations.json \\
        --features data/benchmark/features --checkpoint <run>/best.safetensors --split test  # a rebuilt benchmark
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from loco.checkpoint import load_checkpoint
from loco.evaluate import load_ground_truth, segment_iou
from loco.infer import predict_features
from loco.paths import ASSETS_DIR
from mechanisms import DISTRACTORS, SplitVideo, event_aucs, load_split, step_groups  # the sibling script
from studio.review import DISAGREEMENT_WEIGHT, event_gate, rank_for_review, span_mean
from studio.viz.internals import token_span

# the queue as the Review page ranks (the event gate's doubt for a model whose gates were trained against events, else
# the agreement's rank in the clip), then context
RANKINGS = ("queue", "queue, agreement's rank in the clip", "uncertainty alone", "agreement alone",
            "previous queue (coherence)")


@dataclass(frozen=True)
class Proposal:
    event_id: int
    label: str
    start: float
    end: float
    score: float


@dataclass(frozen=True)
class RankedVideo:
    video_id: str
    kinds: dict[str, list[str | None]]  # ranking -> kind of each row in rank order (None: not a distractor one)
    priorities: dict[str, np.ndarray]  # ranking -> priority of each row in rank order
    agreement: np.ndarray  # [T] same-step agreement S[t, t]
    gate: np.ndarray  # [T] visual gate of LCC
    groups: np.ndarray  # [T] step groups (event, sound_only, photo_only, background)


def check_record(videos: list[SplitVideo]) -> None:
    """Refuse a record of another build: each plan's event layers must be the video's annotated events."""
    for video in videos:
        planned = sorted((round(layer["start"], 3), round(layer["end"], 3)) for layer in video.plan["layers"]
                         if layer["kind"] == "event")
        annotated = sorted((round(e.start, 3), round(e.end, 3)) for e in video.events)
        if planned != annotated:
            raise SystemExit(f"build_info.json does not describe these annotations ({video.video_id}: planned events "
                             f"{planned}, annotated {annotated}): it belongs to another build")


def distractor_kind(proposal: Proposal, video: SplitVideo, groups: np.ndarray, names: dict[int, str],
                    grid) -> str | None:
    """The distractor kind a false detection lies on, or None (a match, or mostly on events or background)."""
    same = [e for e in video.events if names[e.label_id] == proposal.label]
    if same and segment_iou([proposal.start, proposal.end], [[e.start, e.end] for e in same]).max() >= 0.5:
        return None
    inside = groups[slice(*token_span(grid, 0, (proposal.start, proposal.end), len(groups)))]
    counts = {kind: int(np.sum(inside == kind)) for kind in DISTRACTORS}
    kind = max(counts, key=counts.get)
    return kind if sum(counts.values()) >= len(inside) / 2 else None


def previous_priority(proposal: Proposal, coherence: np.ndarray, grid) -> float:
    """The queue before this one: ``0.5 * uncertainty + 0.5 * score * (1 - mean coherence)``."""
    uncertainty = 1.0 - abs(2.0 * proposal.score - 1.0)
    return 0.5 * uncertainty + 0.5 * proposal.score * (1.0 - span_mean(coherence, proposal.start, proposal.end, grid))


def rank_video(loaded, video: SplitVideo, names: dict[int, str], min_score: float) -> RankedVideo:
    prediction = predict_features(loaded, video.visual, video.audio, video.duration, with_internals=True)
    internals, grid = prediction.internals, loaded.grid
    agreement = internals.agreement
    coherence = (internals.coherence_visual + internals.coherence_audio) / 2.0
    proposals = [Proposal(i, e.label, e.start, e.end, e.score)
                 for i, e in enumerate(prediction.events) if e.score >= min_score]
    groups = step_groups(video.plan, prediction.step_times, video.events)
    kind_of = {p.event_id: distractor_kind(p, video, groups, names, grid) for p in proposals}
    gate = event_gate(internals, loaded.config.model.lcc)
    ranked = {RANKINGS[0]: rank_for_review(proposals, grid, agreement, DISAGREEMENT_WEIGHT, gate),
              **{name: rank_for_review(proposals, grid, agreement, weight)
                 for name, weight in zip(RANKINGS[1:4], (DISAGREEMENT_WEIGHT, 0.0, 1.0))}}
    orders = {name: ([item.event_id for item in items], np.array([item.priority for item in items]))
              for name, items in ranked.items()}
    previous = sorted(proposals, key=lambda p: (-previous_priority(p, coherence, grid), p.start))
    orders[RANKINGS[4]] = ([p.event_id for p in previous],
                           np.array([previous_priority(p, coherence, grid) for p in previous]))
    return RankedVideo(video.video_id, {name: [kind_of[i] for i in ids] for name, (ids, _) in orders.items()},
                       {name: priorities for name, (_, priorities) in orders.items()}, agreement,
                       internals.gate_visual, groups)


def ranking_row(videos: list[RankedVideo], ranking: str, top: int) -> dict[str, float]:
    """Mean top-``top`` precision and chance over videos with a distractor false detection, per kind and together;
    pooled and mean per-video ROC AUC."""
    row: dict[str, float] = {}
    holding = [v for v in videos if any(k is not None for k in v.kinds[ranking])]
    for kinds, title in ((DISTRACTORS, "either"), *(((kind,), kind) for kind in DISTRACTORS)):
        hits = [np.array([k in kinds for k in v.kinds[ranking]]) for v in holding]
        row[f"top-{top} precision, {title}"] = float(np.mean([h[:top].mean() for h in hits]))
        row[f"chance, {title}"] = float(np.mean([h.mean() for h in hits]))
        if title == "either":
            row[f"videos above chance (of {len(holding)})"] = float(sum(h[:top].mean() > h.mean() for h in hits))
    labels = [np.array([k is not None for k in v.kinds[ranking]]) for v in videos]
    priorities = [v.priorities[ranking] for v in videos]
    row["ROC AUC"] = float(roc_auc_score(np.concatenate(labels), np.concatenate(priorities)))
    row["mean per-video ROC AUC"] = float(np.mean([roc_auc_score(y, p) for y, p in zip(labels, priorities)
                                                   if 0 < y.sum() < len(y)]))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, default=ASSETS_DIR / "benchmark_test" / "annotations.json",
                        help="annotations.json with build_info.json beside (default: the shipped test split)")
    parser.add_argument("--features", type=Path, default=ASSETS_DIR / "benchmark_test" / "features")
    parser.add_argument("--checkpoint", type=Path, default=ASSETS_DIR / "models" / "loco_compact.safetensors")
    parser.add_argument("--split", default="test")
    parser.add_argument("--top", type=int, default=20, help="rows per video whose precision is reported")
    parser.add_argument("--min-score", type=float, default=0.0,
                        help="rank only proposals scoring at least this (default: all, as the queue does)")
    args = parser.parse_args()

    loaded = load_checkpoint(args.checkpoint)
    if loaded.model.lcc is None:
        raise SystemExit("the queue's agreement needs a model with LCC")
    names = load_ground_truth(args.annotations, args.split).class_names
    split = load_split(args.annotations, args.features, args.split)
    check_record(split)
    videos = [rank_video(loaded, video, names, args.min_score) for video in split]
    rows = sum(len(v.kinds[RANKINGS[0]]) for v in videos)
    positives = sum(k is not None for v in videos for k in v.kinds[RANKINGS[0]])
    holding = sum(any(k is not None for k in v.kinds[RANKINGS[0]]) for v in videos)
    print(f"{args.checkpoint.name} on {args.split}: {len(videos)} videos, {rows} proposals, {positives} distractor "
          f"false detections in {holding} videos (disagreement weight {DISAGREEMENT_WEIGHT}, fixed a priori)")
    table = {ranking: ranking_row(videos, ranking, args.top) for ranking in RANKINGS}
    columns = list(table[RANKINGS[0]])
    print("\n| ranking | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for ranking, row in table.items():
        print(f"| {ranking} | " + " | ".join(f"{row[c]:.0f}" if c.startswith("videos") else f"{row[c]:.3f}"
                                            for c in columns) + " |")
    groups = np.concatenate([v.groups for v in videos])
    steps = event_aucs(np.concatenate([v.agreement for v in videos]), groups, "agreement")
    print("\nsame-step agreement, event steps against the others' (ROC AUC; above 0.5: events agree more): "
          + ", ".join(f"{name.removeprefix('agreement AUC ')} {value:.3f}" for name, value in steps.items()))
    lcc = loaded.config.model.lcc
    alpha = loaded.model.lcc.gate_alpha.detach().cpu().numpy()
    gates = event_aucs(np.concatenate([v.gate for v in videos]), groups, "gate")
    print(f"visual gate (reads {lcc.gate_input}, event-gate weight {lcc.event_gate_weight}, alpha visual "
          f"{alpha[0]:.2f} / audio {alpha[1]:.2f}), event steps against the others' (ROC AUC): "
          + ", ".join(f"{name.removeprefix('gate AUC ')} {value:.3f}" for name, value in gates.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
