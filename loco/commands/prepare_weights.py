"""``python -m loco prepare-weights``: convert every registered encoder's packaged weights once into safe formats in
the data directory (I3D pickle -> safetensors after a sha256 check, MobileNetV2 -> safetensors and ONNX, YAMNet ONNX
+ embedding output). Takes seconds when everything is already converted."""

from __future__ import annotations

import argparse
import time


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs: the CLI imports every command module to build its parser, and the encoders
    # bring in torch, torchaudio and onnxruntime (about 2 s) that no other command's start should wait for.
    from loco.features.registry import prepare_all

    started = time.perf_counter()
    converted = prepare_all()
    if not args.quiet:
        for name, paths in converted.items():
            for path in paths:
                print(f"{name:13s} {path}")
        print(f"weights ready in {time.perf_counter() - started:.1f} s")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare-weights",
        help="convert the pretrained encoder weights (I3D, MobileNetV2, YAMNet) once",
        description=__doc__,
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.set_defaults(func=run)
