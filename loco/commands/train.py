"""``python -m loco train``: train (or fine-tune) LoCo on a UnAV-format dataset of feature files.

Examples:
  python -m loco train --annotations ann.json --features feats/ --output runs/exp1
  python -m loco train --config baseline --annotations ann.json --features feats/ train.epochs=10 model.lcc.band=3
  python -m loco train --init model.safetensors --annotations snapshot.json --features feats/ train.freeze_trunk=true
  torchrun --nproc_per_node 4 -m loco train --config unav --annotations ann.json --features feats/ --output runs/u

Writes to the output folder: best.safetensors (EMA weights best on the validation split), last_state.pt (resume
state: run the same command again to continue after an interruption), metrics.jsonl (one line per epoch) and
config.yaml. Under torchrun, train.batch_size is the global batch, split evenly over the processes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from loco.config import Config, load_config
from loco.paths import sub_dir

if TYPE_CHECKING:  # for annotations only: the checkpoint module loads torch
    from loco.checkpoint import LoadedModel


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train or fine-tune LoCo on UnAV-format annotations + feature files",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", default="compact",
                        help="config name in configs/ (compact, baseline, unav) or a YAML file path (default compact)")
    parser.add_argument("--annotations", type=Path, help="UnAV-format annotation JSON (sets data.annotation_file)")
    parser.add_argument("--features", type=Path, help="folder of per-video feature files (sets data.feature_dir)")
    parser.add_argument("--format", choices=["loco", "unav", "one_peace"],
                        help="feature file layout (sets data.feature_format; default from the config)")
    parser.add_argument("--output", type=Path, default=None,
                        help="run folder (default <data dir>/runs/<config name>)")
    parser.add_argument("--no-resume", action="store_true",
                        help="start from scratch even if the output folder holds a resume state")
    parser.add_argument("--init", type=Path, default=None, metavar="CHECKPOINT",
                        help="fine-tune: start from this checkpoint's weights; its architecture (with the model.* "
                             "overrides given here over it), classes (the annotations' labels are matched to them by "
                             "name; labels it lacks become new classes after its own), feature profile and grid are "
                             "kept")
    parser.add_argument("--no-validation", action="store_true",
                        help="do not evaluate on the validation split; the last epoch's weights are kept")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="config overrides, e.g. train.epochs=10 model.cdp.mode=fixed")
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file plus the flags (as overrides) plus the explicit ``key=value`` overrides, in that order."""
    flags = []
    if args.annotations is not None:
        flags.append(f"data.annotation_file={args.annotations}")
    if args.features is not None:
        flags.append(f"data.feature_dir={args.features}")
    if getattr(args, "format", None):
        flags.append(f"data.feature_format={args.format}")
    return load_config(args.config, flags + list(args.overrides))


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint
    from loco.data.unav import dataset_from_config, grown_classes
    from loco.train import train

    config = config_from_args(args)
    start, metadata = None, {"annotation_file": Path(config.data.annotation_file).name}
    if args.init is not None:
        start = load_checkpoint(args.init)
        config = fine_tuning_config(config, start, args.overrides)
    # fine-tuning keeps the start's classes, in its order, and adds the annotations' labels it lacks
    known_classes = grown_classes(start.class_names, config.data.annotation_file) if start is not None else None
    if start is not None:
        metadata.update(init=Path(args.init).name, added_classes=known_classes[len(start.class_names):])
    grid = start.grid if start is not None else None
    train_set = dataset_from_config(config, config.data.train_split, True, known_classes, grid)
    val_set = None if args.no_validation else dataset_from_config(config, config.data.val_split, False, known_classes,
                                                                  grid)
    if start is not None:
        start.check_features(*train_set.feature_dims())
    output = args.output or sub_dir("runs") / Path(str(args.config)).stem
    result = train(config, train_set, output, val_set, profile=config.data.profile,
                   metadata=metadata, resume=not args.no_resume,
                   init_weights=start.model.state_dict() if start is not None else None)
    if result.best_checkpoint is not None:
        summary = "  ".join(f"{k} {100 * v:.2f}" for k, v in result.best_metrics.items())
        print(f"best checkpoint: {result.best_checkpoint}" + (f"  (validation {summary})" if summary else ""))
    return 0


def fine_tuning_config(config: Config, start: LoadedModel, overrides: Sequence[str] = ()) -> Config:
    """The run's config when fine-tuning: the architecture, feature profile and grid are the starting model's (its
    weights only fit those), with the ``model.*`` overrides the run names explicitly put back over it (a switch
    such as ``model.open_vocabulary.closed_logits_alone`` would otherwise be dropped without a word; one that changes
    the weights' shapes is refused when they load); the recipe (``train.*``, ``postprocess.*``, data paths) stays the
    run's own."""
    tuned = replace(config, model=replace(start.config.model),
                    data=replace(config.data, profile=start.profile, grid=start.grid.name))
    own_model = [override for override in overrides if override.startswith("model.")]
    return tuned.with_overrides(own_model) if own_model else tuned
