"""``python -m loco label-prior CHECKPOINT``: choose the weight of the encoders' label prior on a held-out split.

Evaluates the checkpoint on --split (default dev: exemplars held out from training AND test, see build-dataset) once
per weight in --weights, prints average mAP per weight and picks the best. With --output, writes a copy of the
checkpoint whose config decodes with that weight (and records the choice in its metadata), so the app, predict and
eval use it by default. Choose on dev, never on test; validation (the training exemplars) always prefers 0.

    python -m loco label-prior assets/models/loco_compact.safetensors --annotations data/benchmark/annotations.json \\
        --features data/benchmark/features --output assets/models/loco_compact.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

from loco.commands.eval import check_classes
from loco.evaluate import load_ground_truth

DEFAULT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "label-prior", help="choose the label prior's weight on a held-out split (and store it in a checkpoint)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path, help="model checkpoint (.safetensors, fast profile)")
    parser.add_argument("--annotations", type=Path, required=True, help="UnAV-format annotation JSON")
    parser.add_argument("--features", type=Path, required=True, help="feature folder of the split")
    parser.add_argument("--split", default="dev", help="subset to choose on (default dev)")
    parser.add_argument("--weights", type=float, nargs="+", default=list(DEFAULT_WEIGHTS),
                        help=f"weights to try (default {' '.join(f'{w:g}' for w in DEFAULT_WEIGHTS)})")
    parser.add_argument("--output", type=Path, help="write the checkpoint with the chosen weight here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint, save_checkpoint
    from loco.infer import dataset_for, evaluate_checkpoint  # (likewise)

    if args.split == "test":
        raise ValueError("choose the label prior on a held-out split other than test (dev)")
    loaded = load_checkpoint(args.checkpoint)
    candidates = {weight: loaded.with_label_prior(weight) for weight in args.weights}  # checks weights and profile
    ground_truth = load_ground_truth(args.annotations, args.split)
    check_classes(loaded.class_names, ground_truth)
    dataset = dataset_for(loaded, args.annotations, args.features, args.split)
    scores = {}
    for weight, candidate in candidates.items():
        scores[weight] = evaluate_checkpoint(candidate, dataset, ground_truth).named.summary()
        print(f"weight {weight:g}: mAP@0.5 {100 * scores[weight]['mAP@0.5']:.1f}, "
              f"average mAP {100 * scores[weight]['avg']:.1f}")
    best = max(args.weights, key=lambda w: scores[w]["avg"])
    print(f"best on {args.split}: weight {best:g}")
    if args.output is not None:
        chosen = candidates[best]
        choice = {"split": args.split, "annotation_file": args.annotations.name, "weight": best,
                  "avg_by_weight": {f"{w:g}": scores[w]["avg"] for w in args.weights}}
        save_checkpoint(args.output, chosen.model, chosen.config, chosen.class_names, chosen.profile, chosen.grid,
                        {**chosen.metadata, "label_prior_choice": choice}, chosen.metrics)
        print(f"wrote {args.output} (label prior weight {best:g})")
    return 0
