"""``python -m loco calibrate CHECKPOINT``: fit an open-vocabulary model's score calibration on a held-out split.

Runs the checkpoint on --split (default validation) and fits, by Platt scaling of its detections, one (scale, shift)
for the logits of the classes with training examples and one for those named by the open branch alone, so that both
kinds estimate the same probability, that of a detection being right, and compare in a video's detections and
against one threshold (``loco/calibration.py``).
Prints both fits; with --output, writes a copy of the checkpoint that decodes with them (the fit is recorded in its
metadata). Never fit on test.

    python -m loco calibrate run/best.safetensors --annotations data/benchmark/annotations.json \\
        --features data/benchmark/features --output run/calibrated.safetensors
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit an open-vocabulary model's score calibration on a held-out split",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path, help="open-vocabulary model checkpoint (.safetensors)")
    parser.add_argument("--annotations", type=Path, required=True, help="UnAV-format annotation JSON")
    parser.add_argument("--features", type=Path, required=True, help="feature folder of the split")
    parser.add_argument("--split", default="validation", help="subset to fit on (default validation)")
    parser.add_argument("--output", type=Path, help="write the calibrated checkpoint here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.calibration import calibrate
    from loco.checkpoint import load_checkpoint, save_checkpoint
    from loco.infer import dataset_for  # (likewise)

    if args.split == "test":
        raise ValueError("fit the calibration on a held-out split other than test (validation)")
    loaded = load_checkpoint(args.checkpoint)
    dataset = dataset_for(loaded, args.annotations, args.features, args.split, known_classes=loaded.class_names)
    fitted = calibrate(loaded, dataset)
    for kind, fit in (("with training examples", fitted.trained), ("by the open branch alone", fitted.untrained)):
        print(f"classes {kind}: scale {fit.scale:.4f}, shift {fit.shift:+.4f} ({fit.positives} right of "
              f"{fit.points} detections; log-loss {fit.log_loss_before:.4f} -> {fit.log_loss_after:.4f})")
    if args.output is not None:
        chosen = loaded.with_calibration((fitted.trained.scale, fitted.trained.shift),
                                         (fitted.untrained.scale, fitted.untrained.shift))
        record = {"split": args.split, "annotation_file": args.annotations.name, **asdict(fitted)}
        save_checkpoint(args.output, chosen.model, chosen.config, chosen.class_names, chosen.profile, chosen.grid,
                        {**chosen.metadata, "calibration_choice": record}, chosen.metrics)
        print(f"wrote {args.output}")
    return 0
