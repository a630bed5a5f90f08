"""``python -m loco voice-pitch CHECKPOINT``: choose how much the voice's pitch weighs the speaking classes.

Decodes --split (default dev; never test) once per width in --widths (``postprocess.voice_pitch_width``, octaves;
0 = off, loco/model/voice_pitch.py), prints the average mAP of each and picks the best. The split's feature files
must carry the voice-pitch stream (``python -m loco extract`` writes it since the stream was added), and the model
must score a class that has a voice register (man speaking, woman speaking). With --output, writes a copy of the
checkpoint that decodes with that width, the choice in its metadata.

    python -m loco voice-pitch assets/models/loco_compact.safetensors --annotations data/benchmark/annotations.json \\
        --features data/benchmark/features --output assets/models/loco_compact.safetensors
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from loco.choosing import DecodingChoice, add_choice_arguments, choose
from loco.model.voice_pitch import VOICE_REGISTERS

if TYPE_CHECKING:
    from loco.data.unav import UnAVDataset

DEFAULT_WIDTHS = (0.0, 0.1, 0.25, 0.5)
VOICE_PITCH = DecodingChoice("the voice pitch's width", "width", "voice_pitch_choice",
                             lambda loaded, width: loaded.with_postprocess(voice_pitch_width=width))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "voice-pitch", help="choose how much the voice pitch weighs man / woman speaking (and store it)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_choice_arguments(parser, VOICE_PITCH, DEFAULT_WIDTHS, "feature folder of the split (with the voice pitch)")
    parser.set_defaults(func=run)


def carries_the_pitch(dataset: UnAVDataset) -> None:
    """Without the stream every width decodes alike: refuse rather than choose among equals."""
    missing = [r.video_id for i, r in enumerate(dataset.records) if "voice_pitch" not in dataset.load_sample(i).cues]
    if missing:
        raise ValueError(f"{len(missing)} of the split's {len(dataset)} feature files lack the voice-pitch stream "
                         f"(first: {missing[0]}); extract them again")


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    if not set(loaded.class_names) & set(VOICE_REGISTERS):
        raise ValueError(f"the model scores none of {', '.join(VOICE_REGISTERS)}: the voice pitch changes nothing")
    return choose(args, loaded, VOICE_PITCH, carries_the_pitch)
