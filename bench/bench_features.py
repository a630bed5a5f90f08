"""Feature extraction speed and memory on a 60 s 720p H.264/AAC clip made from real footage and recordings.

Prints, measured side by side in one run (each phase in its own process, so peak memory is per phase):
decode-only (the floor: every video frame decoded, no conversion, plus the audio track), the `fast` profile end to
end, the `i3d` profile end to end, their ratios to decode-only, and the peak resident memory of each phase.

    python -m bench.bench_features [--seconds 60] [--skip-i3d] [--threads N]   (from the repository root)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

STREET_FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian opencv-doc, BSD-3


def make_clip(path: Path, seconds: float) -> Path:
    """1280x720 25 fps H.264 + 44.1 kHz AAC: street footage (vtest.avi, else the fixture crop) under the Tux Paint
    recordings played one after another with gaps."""
    import av

    from tests.fixtures.media.make_media import FIXTURES, STAMPS, read_audio

    source = STREET_FOOTAGE if STREET_FOOTAGE.is_file() else FIXTURES / "vtest_crop.mp4"
    rate, fps, size = 44100, 25, (1280, 720)
    sounds = [read_audio(FIXTURES / f"{name}.ogg", rate) for name in STAMPS]
    track = np.zeros(int(seconds * rate), np.float32)
    position, i = int(0.5 * rate), 0
    while position < len(track):
        sound = sounds[i % len(sounds)][: len(track) - position]
        track[position : position + len(sound)] = 0.7 * sound / (np.abs(sound).max() + 1e-9)
        position += len(sound) + int(1.5 * rate)
        i += 1
    with av.open(str(source)) as src, av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        audio = out.add_stream("aac", rate=rate, layout="mono")
        source_frames = src.decode(video=0)
        source_fps = float(src.streams.video[0].average_rate)
        frame, shown = None, -1
        for n in range(int(seconds * fps)):
            want = int(n / fps * source_fps)
            while shown < want:
                try:
                    frame, shown = next(source_frames), shown + 1
                except StopIteration:
                    break
            scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
            scaled.pts, scaled.time_base = n, Fraction(1, fps)  # the source's own 10 fps stamps would stretch the clip
            out.mux(video.encode(scaled))
        out.mux(video.encode(None))
        chunk = audio.codec_context.frame_size or 1024
        for start in range(0, len(track), chunk):
            piece = av.AudioFrame.from_ndarray(track[None, start : start + chunk], format="fltp", layout="mono")
            piece.sample_rate, piece.pts = rate, start
            out.mux(audio.encode(piece))
        out.mux(audio.encode(None))
    return path


def _phase(name: str, clip: str, threads: int, queue) -> None:
    import torch

    torch.set_num_threads(threads)
    import av

    from loco.features.extract import extract_features
    from loco.features.profiles import device, get_profile, loaded_encoder
    from loco.media import decode_audio, probe

    result: dict = {"phase": name}
    if name == "decode":
        started = time.perf_counter()
        with av.open(clip) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = sum(1 for _ in container.decode(stream))
        decode_audio(clip, probe(clip))
        result.update(seconds=time.perf_counter() - started, frames=frames)
    else:
        started = time.perf_counter()
        profile = get_profile(name)
        loaded_encoder(profile.visual_encoder, str(device()))
        loaded_encoder(profile.audio_encoder, str(device()))
        result["load_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        features = extract_features(clip, name, use_cache=False)
        result.update(seconds=time.perf_counter() - started, steps=features.num_steps)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def run_phase(name: str, clip: Path, threads: int) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_phase, args=(name, str(clip), threads, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-i3d", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["LOCO_DATA_DIR"] = str(Path(tmp) / "data")
        from loco.features.registry import prepare_all

        prepare_all()
        started = time.perf_counter()
        clip = make_clip(Path(tmp) / "bench_720p.mp4", args.seconds)
        print(f"clip: {args.seconds:.0f} s 1280x720 25 fps H.264 + AAC, {clip.stat().st_size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - started:.1f} s); {args.threads} torch threads")
        phases = ["decode", "fast"] + ([] if args.skip_i3d else ["i3d"])
        print(f"{'phase':8s} {'seconds':>8s} {'x decode':>9s} {'model load':>11s} {'peak MB':>8s}", flush=True)
        results = {}
        for name in phases:
            r = results[name] = run_phase(name, clip, args.threads)
            load = f"{r['load_seconds']:.1f}" if "load_seconds" in r else "-"
            ratio = r["seconds"] / results["decode"]["seconds"]
            print(f"{name:8s} {r['seconds']:8.1f} {ratio:9.2f} {load:>11s} {r['peak_mb']:8.0f}", flush=True)
    floor = results["decode"]["seconds"]
    fast = results["fast"]["seconds"]
    print(f"fast: {fast / floor:.2f}x decode-only (goal <= 3x), {fast:.1f} s for {args.seconds:.0f} s "
          f"(goal <= {15 * args.seconds / 60:.0f} s); peak {max(r['peak_mb'] for r in results.values()):.0f} MB "
          f"(goal < 2048)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
