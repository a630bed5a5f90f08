"""``python -m loco eval``: detection mAP exactly as the UnAV-100 benchmark computes it.

Two ways:
  python -m loco eval --annotations ann.json --predictions results.json [--split test]
      evaluate a results file {"results": {video_id: [{"segment": [s, e], "label_id" | "label", "score"}]}}
  python -m loco eval --annotations ann.json --checkpoint best.safetensors --features feats/ [--split test]
      run a checkpoint on the split's feature files first (--save-predictions keeps its results file)

Prints mAP@0.5..0.9, the average over tIoU 0.1..0.9 and the per-class table; --json writes all of it as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loco.evaluate import evaluate_detections, load_ground_truth, load_predictions, write_predictions
    from loco.io import atomic_write

    split = None if args.split == "all" else args.split
    ground_truth = load_ground_truth(args.annotations, split)
    if args.predictions is not None:
        predictions = load_predictions(args.predictions, ground_truth.label_ids_by_name)
    else:
        predictions = _checkpoint_predictions(args, split)
        if args.save_predictions is not None:
            write_predictions(args.save_predictions, predictions, ground_truth.class_names)
    result = evaluate_detections(ground_truth, predictions)
    print(result.format_table())
    if args.json is not None:
        with atomic_write(args.json, "w") as handle:
            json.dump(result.to_dict(), handle, indent=1)
    return 0


def _checkpoint_predictions(args: argparse.Namespace, split: str | None):
    import torch

    from loco.checkpoint import load_checkpoint
    from loco.data.unav import UnAVDataset
    from loco.train import predict_dataset

    if args.features is None:
        raise ValueError("--checkpoint needs --features (the folder of the split's feature files)")
    loaded = load_checkpoint(args.checkpoint)
    dataset = UnAVDataset(args.annotations, args.features, split, feature_format=args.format, grid=loaded.grid)
    loaded.check_features(*dataset.feature_dims())
    if dataset.class_names != loaded.class_names[: len(dataset.class_names)]:
        raise ValueError("the annotation file's classes differ from the checkpoint's classes")
    return predict_dataset(loaded.model, dataset, loaded.config, batch_size=8, device=torch.device("cpu"))
