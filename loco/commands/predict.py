"""``python -m loco predict CHECKPOINT INPUT``: detect audio-visual events.

INPUT is a feature file (<video_id>.npz, as written by the feature extractor), a folder of such files, or a video
file (features are extracted first with --profile, which must match the checkpoint's). Writes a UnAV-format results
JSON ({"results": {video_id: [{"segment", "label", "label_id", "score"}]}}) to --output and prints the events.

An open-vocabulary checkpoint also scores, by their labels alone, the taxonomy's classes it has no examples of (the
100 UnAV-100 classes and the data folder's own label_space.json classes; --no-taxonomy: its own classes only).

Examples:
  python -m loco predict assets/models/loco_compact.safetensors clip.mp4
  python -m loco predict best.safetensors features/ --output results.json --threshold 0.2
  python -m loco predict assets/models/loco_compact.safetensors clip.mp4 --label-prior 0.5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from loco.io import atomic_write
from loco.label_space import load_label_space, taxonomy_names

if TYPE_CHECKING:  # the commands load torch when they run, not at import
    from loco.checkpoint import LoadedModel


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="detect events in a video, a feature file or a folder of feature files",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", type=Path, help="model checkpoint (.safetensors)")
    parser.add_argument("input", type=Path, help="video file, <video_id>.npz feature file, or folder of .npz files")
    parser.add_argument("--output", type=Path, default=None, help="results JSON to write (default: print only)")
    parser.add_argument("--threshold", type=float, default=0.0, help="drop events scoring below this (default 0)")
    parser.add_argument("--profile", default=None,
                        help="feature profile for a video input (default: the checkpoint's profile)")
    parser.add_argument("--top", type=int, default=10, help="events printed per video (default 10; all are saved)")
    parser.add_argument("--label-prior", type=float, metavar="W",
                        help="weight in [0, 1] of the encoders' label-space prior (loco/label_prior.py; fast profile "
                        "only; helps name exemplars unlike the training ones; default: the checkpoint's own, 0 = off)")
    add_taxonomy_argument(parser)
    parser.set_defaults(func=run)


def add_taxonomy_argument(parser: argparse.ArgumentParser) -> None:
    """``--taxonomy/--no-taxonomy`` (predict and eval decode alike, as the app does)."""
    parser.add_argument("--taxonomy", action=argparse.BooleanOptionalAction, default=None,
                        help="also score the taxonomy's classes the checkpoint has no examples of, by their labels "
                        "(open-vocabulary checkpoints only; default: on for them)")


def scoring_taxonomy(loaded: LoadedModel, wanted: bool | None, name: str) -> LoadedModel:
    """The model ``--taxonomy`` asks for: an open-vocabulary model also scores the taxonomy's classes (the 100
    UnAV-100 classes and the data folder's own) unless ``wanted`` is False; a closed-set model cannot."""
    if wanted and not loaded.open_vocabulary:
        raise ValueError(f"{name} is a closed-set model: it scores only its own classes (--taxonomy needs a "
                         "checkpoint trained with model.open_vocabulary.enabled=true)")
    if wanted is not False and loaded.open_vocabulary:
        return loaded.with_classes(taxonomy_names(), load_label_space())
    return loaded


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco import checkpoint, infer
    from loco.features import extract, store  # (these load torch and the encoders too)

    if not args.input.exists():
        raise FileNotFoundError(f"{args.input} does not exist")
    loaded = checkpoint.load_checkpoint(args.checkpoint)
    if args.label_prior is not None:
        loaded = loaded.with_label_prior(args.label_prior)
    loaded = scoring_taxonomy(loaded, args.taxonomy, args.checkpoint.name)
    if args.input.is_dir() or args.input.suffix.lower() == ".npz":
        inputs = ((path.stem, store.read_features(path)) for path in feature_files(args.input))
    else:
        extracted = extract.extract_features(args.input, profile=args.profile or loaded.profile)
        inputs = iter([(args.input.stem, store.StoredFeatures(extracted.visual, extracted.audio, extracted.meta(),
                                                              extracted.extras))])
    results = {}
    for video_id, features in inputs:
        loaded.check_features(features.visual.shape[1], features.audio.shape[1], features.meta.profile)
        prediction = infer.predict_features(loaded, features.visual, features.audio, features.meta.duration, False,
                                            args.threshold, cues=features.extras)
        results[video_id] = [
            {"segment": [round(e.start, 3), round(e.end, 3)], "label": e.label, "label_id": e.label_id,
             "score": round(e.score, 5)}
            for e in prediction.events
        ]
        print(f"{video_id}: {len(prediction.events)} events ({prediction.duration:.2f} s)")
        for event in prediction.events[: args.top]:
            print(f"  {event.start:8.2f} {event.end:8.2f}  {event.score:.3f}  {event.label}")
    if args.output is not None:
        with atomic_write(args.output, "w") as handle:
            json.dump({"results": results}, handle, indent=1)
    return 0


def feature_files(source: Path) -> list[Path]:
    """The feature file, or the folder's ``.npz`` files in name order (ids are their file stems)."""
    if not source.is_dir():
        return [source]
    files = sorted(source.glob("*.npz"))
    if not files:
        raise FileNotFoundError(f"no .npz feature files in {source}")
    return files
