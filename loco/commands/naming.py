"""``python -m loco naming CHECKPOINT``: choose how an open-vocabulary model names its classes without examples.

Two ways (``postprocess.untrained_naming``, loco/model/naming.py): by the open branch's logits at every point, or on
the detections of its trained classes, scored ``s * e^v`` with the class's evidence ``e`` in the audio label space
alone or in both streams, on the classes of best evidence or all. Evaluates each candidate on --split (default dev;
never test), prints its average mAP over the split's classes and over those the model has no examples of, and picks
the best average mAP over all.
The model is decoded as eval, predict and the app decode it, with the taxonomy's classes it has no examples of.
The split must hold classes the model has no examples of (a model trained on all of its classes cannot tell the
candidates apart: choose on the unseen-class protocol's model, experiments/open_vocabulary.py, and give that choice
with --use). With --output, writes a copy of the checkpoint that decodes that way, the choice in its metadata.

    python -m loco naming data/open_vocabulary/open_branch/calibrated.safetensors \\
        --annotations data/benchmark/annotations.json --features data/benchmark/features --output named.safetensors
    python -m loco naming assets/models/loco_compact.safetensors --use detections --exponent 1 \\
        --streams audio_visual --reason "chosen on the unseen-class protocol's dev split" --output named.safetensors
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loco.commands.eval import check_classes
from loco.commands.predict import scoring_taxonomy
from loco.evaluate import load_ground_truth

if TYPE_CHECKING:
    from loco.checkpoint import LoadedModel

DEFAULT_EXPONENTS = (1 / 3, 1.0, 3.0)
STREAMS = ("audio", "audio_visual")
PER_DETECTION = (1, 3, 0)  # classes one detection may name (0 = all)


@dataclass(frozen=True)
class Naming:
    """One way of naming the classes without examples (the four ``postprocess`` fields it sets)."""

    untrained_naming: str
    naming_exponent: float = 1.0
    naming_streams: str = "audio"
    naming_per_detection: int = 0

    @property
    def title(self) -> str:
        if self.untrained_naming == "open_branch":
            return "open branch"
        classes = "every class" if self.naming_per_detection == 0 else f"best {self.naming_per_detection}"
        return f"on detections, {self.naming_streams} evidence, exponent {self.naming_exponent:.3g}, {classes}"

    def applied_to(self, loaded: LoadedModel) -> LoadedModel:
        return loaded.with_postprocess(untrained_naming=self.untrained_naming, naming_exponent=self.naming_exponent,
                                       naming_streams=self.naming_streams,
                                       naming_per_detection=self.naming_per_detection)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "naming", help="choose how an open-vocabulary model names classes it has no examples of (and store it)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path, help="open-vocabulary model checkpoint (.safetensors)")
    parser.add_argument("--annotations", type=Path, help="UnAV-format annotation JSON (to choose)")
    parser.add_argument("--features", type=Path, help="feature folder of the split (to choose)")
    parser.add_argument("--split", default="dev", help="subset to choose on (default dev)")
    parser.add_argument("--exponents", type=float, nargs="+", default=list(DEFAULT_EXPONENTS),
                        help=f"exponents v to try (default {' '.join(f'{v:.3g}' for v in DEFAULT_EXPONENTS)})")
    parser.add_argument("--use", choices=["open_branch", "detections"],
                        help="set this way instead of choosing (with --exponent, --streams, --per-detection, --reason)")
    parser.add_argument("--exponent", type=float, default=1.0, help="with --use detections: the exponent v")
    parser.add_argument("--streams", choices=STREAMS, default="audio", help="with --use detections: the evidence")
    parser.add_argument("--per-detection", type=int, default=0,
                        help="with --use detections: classes one detection may name (0 = all)")
    parser.add_argument("--reason", default="", help="with --use: where the choice was made (kept in the metadata)")
    parser.add_argument("--output", type=Path, help="write the checkpoint that decodes the chosen way here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    if not loaded.open_vocabulary:
        raise ValueError("only an open-vocabulary model names classes it has no examples of")
    if args.use is not None:
        if not args.reason:
            raise ValueError("--use needs --reason: where that choice was made")
        chosen = Naming(args.use, args.exponent, args.streams, args.per_detection)
        choice = {"set": True, "reason": args.reason}
    else:
        chosen, choice = choose(loaded, args)
    named = chosen.applied_to(loaded)  # checks the exponent
    print(f"naming: {chosen.title}")
    if args.output is not None:
        choice = {**choice, "untrained_naming": chosen.untrained_naming, "naming_exponent": chosen.naming_exponent,
                  "naming_streams": chosen.naming_streams, "naming_per_detection": chosen.naming_per_detection}
        save_checkpoint(args.output, named.model, named.config, named.class_names, named.profile, named.grid,
                        {**named.metadata, "naming_choice": choice}, named.metrics)
        print(f"wrote {args.output}")
    return 0


def choose(loaded: LoadedModel, args: argparse.Namespace) -> tuple[Naming, dict]:
    """The candidate with the best average mAP over the split's classes, and the record of the choice."""
    from loco.infer import dataset_for, evaluate_checkpoint  # torch, as in run

    # decoded as eval, predict and the app decode it: with the taxonomy's classes it has no examples of
    loaded = scoring_taxonomy(loaded, None, args.checkpoint.name)

    if args.split == "test":
        raise ValueError("choose the naming on a held-out split other than test (dev)")
    if args.annotations is None or args.features is None:
        raise ValueError("choosing needs --annotations and --features (or set the naming with --use)")
    ground_truth = load_ground_truth(args.annotations, args.split)
    check_classes(loaded.class_names, ground_truth)
    untrained = {name for name, flag in zip(loaded.class_names, loaded.untrained_mask()) if flag}
    split_untrained = {ground_truth.class_names[s.label_id] for s in ground_truth.segments} & untrained
    if not split_untrained:
        raise ValueError(f"the {args.split} split holds no class the model has no examples of, so every candidate "
                         "names alike; choose on a model that lacks some (the unseen-class protocol) and --use it")
    candidates = [Naming("open_branch")] + [Naming("detections", v, s, k) for s in STREAMS for v in args.exponents
                                            for k in PER_DETECTION]
    dataset = dataset_for(loaded, args.annotations, args.features, args.split)
    scores = {}
    for candidate in candidates:
        result = evaluate_checkpoint(candidate.applied_to(loaded), dataset, ground_truth).named
        untrained_ap = [row["AP_avg"] for row in result.per_class() if row["label"] in split_untrained]
        scores[candidate] = (result.summary()["avg"], sum(untrained_ap) / len(untrained_ap))
        print(f"{candidate.title}: average mAP {100 * scores[candidate][0]:.1f} (classes without examples "
              f"{100 * scores[candidate][1]:.1f})")
    best = max(candidates, key=lambda c: scores[c][0])
    print(f"best on {args.split}: {best.title}")
    return best, {"split": args.split, "annotation_file": args.annotations.name,
                  "avg_by_candidate": {c.title: scores[c][0] for c in candidates}}
