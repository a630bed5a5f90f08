"""Could a voice-pitch cue tell "man speaking" from "woman speaking", which the encoders' label spaces cannot?

YAMNet's AudioSet head has one "Speech" label for both (it has no "Male speech" / "Female speech"), so the label
spaces score the two classes alike, and on the real-video set the shipped model calls a man "woman speaking". A
speaker's fundamental frequency (F0) is the classic cue: adult male voices mostly lie near 85-180 Hz, female voices
near 165-255 Hz. This measures it on the benchmark's annotated speaking events: the median voiced F0 (librosa's pYIN,
60-400 Hz) over each event's audio, decoded as the feature extractor decodes it (``loco.media.decode_audio``), and the
ROC AUC of that median for "woman speaking" against "man speaking". No model is involved and nothing is chosen here;
test is left out by default.

    python experiments/voice_pitch.py --annotations data/benchmark/annotations.json \\
        --media data/benchmark/videos data/benchmark/videos_dev [--splits train validation dev]
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
from sklearn.metrics import roc_auc_score

from loco.media import AUDIO_RATE, decode_audio

CLASSES = ("man speaking", "woman speaking")
F0_RANGE_HZ = (60.0, 400.0)


@dataclass(frozen=True)
class EventPitch:
    subset: str
    video_id: str
    label: str
    start: float
    end: float
    median_f0: float  # Hz; nan when pYIN found no voiced frame
    voiced_frames: int


def event_pitches(annotations: Path, media: list[Path], splits: set[str]) -> list[EventPitch]:
    database = json.loads(annotations.read_text(encoding="utf-8"))["database"]
    out = []
    for video_id, entry in sorted(database.items()):
        events = [a for a in entry["annotations"] if a["label"] in CLASSES]
        if entry["subset"] not in splits or not events:
            continue
        path = next((folder / f"{video_id}.mp4" for folder in media if (folder / f"{video_id}.mp4").is_file()), None)
        if path is None:
            raise FileNotFoundError(f"{video_id}.mp4 is in none of the media folders")
        audio = decode_audio(path)
        for event in events:
            start, end = event["segment"]
            clip = audio[int(start * AUDIO_RATE):int(end * AUDIO_RATE)]
            f0, voiced, _ = librosa.pyin(clip, fmin=F0_RANGE_HZ[0], fmax=F0_RANGE_HZ[1], sr=AUDIO_RATE,
                                         frame_length=1024)
            found = f0[voiced & np.isfinite(f0)]
            out.append(EventPitch(entry["subset"], video_id, event["label"], start, end,
                                  float(np.median(found)) if found.size else float("nan"), int(found.size)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotations", type=Path, required=True)
    parser.add_argument("--media", type=Path, nargs="+", required=True, help="folders holding <video id>.mp4")
    parser.add_argument("--splits", nargs="+", default=["train", "validation", "dev"])
    args = parser.parse_args()
    pitches = event_pitches(args.annotations, args.media, set(args.splits))
    print("| split | video | class | event s | median F0 Hz | voiced frames |\n|---|---|---|---|---|---|")
    for p in pitches:
        print(f"| {p.subset} | {p.video_id} | {p.label} | {p.start:.1f}-{p.end:.1f} | {p.median_f0:.0f} | "
              f"{p.voiced_frames} |")
    measured = [p for p in pitches if np.isfinite(p.median_f0)]
    for label in CLASSES:
        values = sorted(p.median_f0 for p in measured if p.label == label)
        print(f"\n{label}: {len(values)} events with voiced frames (of {sum(p.label == label for p in pitches)}), "
              f"median {statistics.median(values):.0f} Hz, range {values[0]:.0f}-{values[-1]:.0f} Hz")
    auc = roc_auc_score([p.label == "woman speaking" for p in measured], [p.median_f0 for p in measured])
    print(f"\nROC AUC of the median F0 for woman against man speaking: {auc:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
