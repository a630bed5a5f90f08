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

from loco.choosing import DecodingChoice, add_choice_arguments, choose

DEFAULT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# with_label_prior also checks that the model reads fast-profile features
LABEL_PRIOR = DecodingChoice("the label prior", "weight", "label_prior_choice",
                             lambda loaded, weight: loaded.with_label_prior(weight))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "label-prior", help="choose the label prior's weight on a held-out split (and store it in a checkpoint)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_choice_arguments(parser, LABEL_PRIOR, DEFAULT_WEIGHTS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint

    return choose(args, load_checkpoint(args.checkpoint), LABEL_PRIOR)
