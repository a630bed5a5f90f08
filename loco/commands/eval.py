"""``python -m loco eval``: detection mAP exactly as the UnAV-100 benchmark computes it.

Two ways:
  python -m loco eval --annotations ann.json --predictions results.json [--split test]
      evaluate a results file {"results": {video_id: [{"segment": [s, e], "label_id" | "label", "score"}]}}
  python -m loco eval --annotations ann.json --checkpoint best.safetensors --features feats/ [--split test]
      run a checkpoint on the split's feature files first (--save-predictions keeps its results file)

Prints mAP@0.5..0.9, the average over tIoU 0.1..0.9 and the per-class table; --json writes all of it as JSON.
--class-agnostic scores localisation alone: every label becomes one class (a span predicted under several labels
counts once, at its best score), which separates "found the event" from "named it right". --label-prior W decodes
with the encoders' label-space prior (loco/label_prior.py), which helps name exemplars unlike the training ones. An
open-vocabulary checkpoint decodes over the whole taxonomy, as the app and predict do (--no-taxonomy: its own classes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from loco.evaluate import (
    Evaluation, GroundTruth, load_ground_truth, load_predictions, score_predictions, write_predictions,
)
from loco.commands.predict import add_taxonomy_argument, scoring_taxonomy
from loco.io import atomic_write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="mAP@tIoU of a results file or a checkpoint against UnAV-format annotations",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--annotations", type=Path, required=True, help="UnAV-format annotation JSON (ground truth)")
    parser.add_argument("--split", default="test",
                        help="subset to evaluate: train, validation, test or all (default test)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, help="results JSON to evaluate")
    source.add_argument("--checkpoint", type=Path, help="model checkpoint to run on --features and evaluate")
    parser.add_argument("--features", type=Path, help="feature folder (with --checkpoint)")
    parser.add_argument("--format", choices=["loco", "unav", "one_peace"], default="loco",
                        help="feature file layout (with --checkpoint; default loco)")
    parser.add_argument("--save-predictions", type=Path, metavar="FILE",
                        help="write the checkpoint's results JSON here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write summary + per-class AP as JSON here")
    parser.add_argument("--class-agnostic", action="store_true",
                        help="ignore labels: mAP of localisation alone (the saved results keep their labels)")
    parser.add_argument("--label-prior", type=float, metavar="W",
                        help="with --checkpoint: weight in [0, 1] of the encoders' label-space prior when decoding "
                        "(loco/label_prior.py; fast profile only; default: the checkpoint's own, 0 = off)")
    add_taxonomy_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    split = None if args.split == "all" else args.split
    ground_truth = load_ground_truth(args.annotations, split)
    if args.predictions is not None:
        evaluation = score_predictions(ground_truth, load_predictions(args.predictions, ground_truth.label_ids_by_name),
                                       agnostic=args.class_agnostic)
    else:
        evaluation = _evaluate_checkpoint(args, split, ground_truth)
        if args.save_predictions is not None:
            write_predictions(args.save_predictions, evaluation.predictions, evaluation.class_names)
    result = evaluation.agnostic if args.class_agnostic else evaluation.named
    print(result.format_table())
    if args.json is not None:
        with atomic_write(args.json, "w") as handle:
            json.dump(result.to_dict(), handle, indent=1)
    return 0


def _evaluate_checkpoint(args: argparse.Namespace, split: str | None, ground_truth: GroundTruth) -> Evaluation:
    """Run ``--checkpoint`` on the split's ``--features`` and score it (:func:`loco.infer.evaluate_checkpoint`)."""
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint
    from loco.infer import dataset_for, evaluate_checkpoint

    if args.features is None:
        raise ValueError("--checkpoint needs --features (the folder of the split's feature files)")
    loaded = load_checkpoint(args.checkpoint)
    if args.label_prior is not None:
        loaded = loaded.with_label_prior(args.label_prior)
    loaded = scoring_taxonomy(loaded, args.taxonomy, args.checkpoint.name)
    check_classes(loaded.class_names, ground_truth)
    dataset = dataset_for(loaded, args.annotations, args.features, split, args.format)
    return evaluate_checkpoint(loaded, dataset, ground_truth, agnostic=args.class_agnostic)


def check_classes(model_classes: list[str], ground_truth: GroundTruth) -> None:
    """Refuse an annotation file that shares no class with the model (surely the wrong file); report the file's
    classes the model does not know (they score AP 0)."""
    file_classes = ground_truth.label_ids_by_name.keys()
    if not file_classes & set(model_classes):
        raise ValueError("the annotation file shares no class with the checkpoint")
    unknown = sorted(file_classes - set(model_classes))
    if unknown:
        print(f"note: the checkpoint does not know {len(unknown)} class(es) of the annotation file (AP 0): "
              + ", ".join(unknown), file=sys.stderr)

