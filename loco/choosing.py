"""Choosing one number of a checkpoint's decoding on a held-out split (``label-prior``, ``voice-pitch``): every
candidate decodes the split as ``eval`` does, the best average mAP wins, and the copy written keeps the choice in
its metadata. Never on test: the figures reported on test would then be chosen on it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loco.commands.eval import check_classes
from loco.commands.predict import scoring_taxonomy
from loco.evaluate import load_ground_truth

if TYPE_CHECKING:  # the checkpoint and inference modules load torch, which building the CLI's parser never needs
    from loco.checkpoint import LoadedModel
    from loco.data.unav import UnAVDataset


@dataclass(frozen=True)
class DecodingChoice:
    """What a command chooses: ``setting`` of a model set to one value (checked as the config is), named ``name`` in
    its output and metadata (``<name> <value>``, ``avg_by_<name>``), stored under ``metadata_key``."""

    what: str  # for messages: "the label prior"
    name: str  # "weight"
    metadata_key: str  # "label_prior_choice"
    setting: Callable[[LoadedModel, float], LoadedModel]


def add_choice_arguments(parser: argparse.ArgumentParser, choice: DecodingChoice, defaults: Sequence[float],
                         features_help: str = "feature folder of the split") -> None:
    """The arguments every such command takes; the candidate values go to ``--<name>s``."""
    parser.add_argument("checkpoint", type=Path, help="model checkpoint (.safetensors)")
    parser.add_argument("--annotations", type=Path, required=True, help="UnAV-format annotation JSON")
    parser.add_argument("--features", type=Path, required=True, help=features_help)
    parser.add_argument("--split", default="dev", help="subset to choose on (default dev)")
    parser.add_argument(f"--{choice.name}s", dest="values", type=float, nargs="+", default=list(defaults),
                        help=f"{choice.name}s to try (default {' '.join(f'{v:g}' for v in defaults)})")
    parser.add_argument("--output", type=Path, help=f"write the checkpoint with the chosen {choice.name} here")


def choose(args: argparse.Namespace, loaded: LoadedModel, choice: DecodingChoice,
           check_dataset: Callable[[UnAVDataset], None] | None = None) -> int:
    """Decode ``args.split`` with each of ``args.values``, print their mAP, and with ``args.output`` write the best.
    Decoded as ``eval``, ``predict`` and the app decode: an open-vocabulary model with the taxonomy's classes too."""
    from loco.infer import dataset_for, evaluate_checkpoint  # torch (see TYPE_CHECKING)

    if args.split == "test":
        raise ValueError(f"choose {choice.what} on a held-out split other than test (dev)")
    scoring = scoring_taxonomy(loaded, None, args.checkpoint.name)
    candidates = {value: choice.setting(scoring, value) for value in args.values}
    ground_truth = load_ground_truth(args.annotations, args.split)
    check_classes(scoring.class_names, ground_truth)
    dataset = dataset_for(scoring, args.annotations, args.features, args.split)
    if check_dataset is not None:
        check_dataset(dataset)
    averages = {}
    for value, candidate in candidates.items():
        summary = evaluate_checkpoint(candidate, dataset, ground_truth).named.summary()
        averages[value] = summary["avg"]
        print(f"{choice.name} {value:g}: mAP@0.5 {100 * summary['mAP@0.5']:.1f}, "
              f"average mAP {100 * summary['avg']:.1f}")
    best = max(args.values, key=averages.get)
    print(f"best on {args.split}: {choice.name} {best:g}")
    if args.output is not None:
        from loco.checkpoint import save_checkpoint  # torch (see TYPE_CHECKING)

        chosen = choice.setting(loaded, best)  # the checkpoint's own classes: the taxonomy is added where it is used
        record = {"split": args.split, "annotation_file": args.annotations.name, choice.name: best,
                  f"avg_by_{choice.name}": {f"{value:g}": average for value, average in averages.items()}}
        save_checkpoint(args.output, chosen.model, chosen.config, chosen.class_names, chosen.profile, chosen.grid,
                        {**chosen.metadata, choice.metadata_key: record}, chosen.metrics)
        print(f"wrote {args.output} ({choice.name} {best:g})")
    return 0
