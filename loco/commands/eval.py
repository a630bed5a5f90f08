"""``python -m loco eval``: detection mAP exactly as the UnAV-100 benchmark computes it.

Two ways:
  python -m loco eval --annotations ann.json --predictions results.json [--split test]
      evaluate a results file {"results": {video_id: [{"segment": [s, e], "label_id" | "label", "score"}]}}
  python -m loco eval --annotations ann.json --checkpoint best.safetensors --features feats/ [--split test]
      run a checkpoint on the split's feature files first (--save-predictions keeps its results file)

Prints mAP@0.5..0.9, the average over tIoU 0.1..0.9 and the per-class table; --json writes all of it as JSON.
--class-agnostic scores localisation alone: every label becomes one class (a span predicted under several labels
counts once, at its best score), which separates "found the event" from "named it right". --label-prior W decodes
with the encoders' label-space prior (loco/label_prior.py), which helps name exemplars unlike the training ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loco.checkpoint import LoadedModel
    from loco.data.unav import UnAVDataset
    from loco.evaluate import GroundTruth, Segment


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="mAP@tIoU of a results file or a checkpoint against UnAV-format annotations",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--annotations", type=Path, required=True, help="UnAV-format annotation JSON (ground truth)")
    parser.add_argument("--split", default="test", help="subset to evaluate: train, validation, test or all (default test)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, help="results JSON to evaluate")
    source.add_argument("--checkpoint", type=Path, help="model checkpoint to run on --features and evaluate")
    parser.add_argument("--features", type=Path, help="feature folder (with --checkpoint)")
    parser.add_argument("--format", choices=["loco", "unav", "one_peace"], default="loco",
                        help="feature file layout (with --checkpoint; default loco)")
    parser.add_argument("--save-predictions", type=Path, metavar="FILE", help="write the checkpoint's results JSON here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write summary + per-class AP as JSON here")
    parser.add_argument("--class-agnostic", action="store_true",
                        help="ignore labels: mAP of localisation alone (the saved results keep their labels)")
    parser.add_argument("--label-prior", type=float, metavar="W",
                        help="with --checkpoint: weight in [0, 1] of the encoders' label-space prior when decoding "
                        "(loco/label_prior.py; fast profile only; default: the checkpoint's own, 0 = off)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loco.evaluate import class_agnostic, evaluate_detections, load_ground_truth, load_predictions, write_predictions
    from loco.io import atomic_write

    split = None if args.split == "all" else args.split
    ground_truth = load_ground_truth(args.annotations, split)
    if args.predictions is not None:
        predictions = load_predictions(args.predictions, ground_truth.label_ids_by_name)
    else:
        predictions = _checkpoint_predictions(args, split, ground_truth, keep_other_classes=args.class_agnostic)
        if args.save_predictions is not None:
            write_predictions(args.save_predictions, predictions, ground_truth.class_names)
    if args.class_agnostic:
        ground_truth, predictions = class_agnostic(ground_truth, predictions)
    result = evaluate_detections(ground_truth, predictions)
    print(result.format_table())
    if args.json is not None:
        with atomic_write(args.json, "w") as handle:
            json.dump(result.to_dict(), handle, indent=1)
    return 0


def _checkpoint_predictions(
    args: argparse.Namespace, split: str | None, ground_truth: GroundTruth, keep_other_classes: bool = False
) -> list[Segment]:
    from loco.checkpoint import load_checkpoint

    if args.features is None:
        raise ValueError("--checkpoint needs --features (the folder of the split's feature files)")
    loaded = load_checkpoint(args.checkpoint)
    if args.label_prior is not None:
        loaded = loaded.with_label_prior(args.label_prior)
    dataset = split_dataset(loaded, args.annotations, args.features, split, args.format)
    return checkpoint_predictions(loaded, dataset, ground_truth, keep_other_classes)


def split_dataset(loaded: LoadedModel, annotations: Path, features: Path, split: str | None,
                  feature_format: str = "loco") -> UnAVDataset:
    """The split's feature files, checked against the model."""
    from loco.data.unav import UnAVDataset

    dataset = UnAVDataset(annotations, features, split, feature_format=feature_format, grid=loaded.grid)
    loaded.check_features(*dataset.feature_dims())
    return dataset


def checkpoint_predictions(
    loaded: LoadedModel, dataset: UnAVDataset, ground_truth: GroundTruth, keep_other_classes: bool = False
) -> list[Segment]:
    """The model's detections with the annotation file's label ids, matched by class NAME (a model's class
    order need not follow the file's ids). Classes of the file the model does not know are reported: they score 0.
    Detections of classes the file does not have are dropped, unless ``keep_other_classes`` (class-agnostic scoring,
    where every detection counts): they then get negative ids, which no ground truth has."""
    import sys

    import torch

    from loco.evaluate import Segment
    from loco.train import predict_dataset

    file_ids = ground_truth.label_ids_by_name
    if not file_ids.keys() & set(loaded.class_names):
        raise ValueError("the annotation file shares no class with the checkpoint")
    unknown = sorted(file_ids.keys() - set(loaded.class_names))
    if unknown:
        print(f"note: the checkpoint does not know {len(unknown)} class(es) of the annotation file (AP 0): "
              + ", ".join(unknown), file=sys.stderr)
    ids = dict(file_ids)
    if keep_other_classes:
        others = [name for name in loaded.class_names if name not in file_ids]
        ids.update({name: -1 - k for k, name in enumerate(others)})
    predictions = predict_dataset(loaded.model, dataset, loaded.config, batch_size=8, device=torch.device("cpu"),
                                  class_names=loaded.class_names)
    return [Segment(p.video_id, p.start, p.end, ids[loaded.class_names[p.label_id]], p.score)
            for p in predictions if loaded.class_names[p.label_id] in ids]
