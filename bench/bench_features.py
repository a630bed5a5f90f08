"""Feature extraction speed and memory on a 60 s 720p H.264/AAC clip made from real footage and recordings.

Prints, measured side by side in one run (each phase in its own process, so peak memory is per phase):
decode-only (the floor: every video frame decoded, no conversion, plus the audio track), the `fast` profile end to
end, the `fast` profile without its extra streams (the face cue, loco/features/faces.py, and the voice pitch,
loco/features/pitch.py), the `i3d` profile end to end, their ratios to decode-only, the peak resident memory of each
phase, and what the extra streams cost: fast with / fast without (goal <= 1.5), in wall-clock and in CPU seconds (all
threads of the phase's process; steadier than wall time on a shared machine). The two fast phases alternate
``--repeats`` times: the wall-clock figures are each one's quickest run, the CPU-time ratio the mean of the
alternating pairs' ratios.

    python -m bench.bench_features [--seconds 60] [--skip-i3d] [--threads N] [--repeats 2]   (from the repository root)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np

STREET_FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian opencv-doc, BSD-3
NO_EXTRAS = "-noextras"  # a phase name's suffix: the profile without its extra streams


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


def cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _phase(name: str, clip: str, threads: int, queue) -> None:
    import torch

    torch.set_num_threads(threads)
    import av

    from loco.features.extract import extract_features
    from loco.features.profiles import device, get_profile, loaded_encoder
    from loco.media import decode_audio, probe

    result: dict = {"phase": name}
    cpu_started = cpu_seconds()
    if name == "decode":
        started = time.perf_counter()
        with av.open(clip) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = sum(1 for _ in container.decode(stream))
        decode_audio(clip, probe(clip))
        result.update(seconds=time.perf_counter() - started, cpu_seconds=cpu_seconds() - cpu_started, frames=frames)
    else:
        started = time.perf_counter()
        profile = get_profile(name.removesuffix(NO_EXTRAS))
        if name.endswith(NO_EXTRAS):
            profile = replace(profile, extra_encoders=())
        for encoder in (profile.visual_encoder, profile.audio_encoder, *profile.extra_encoders):
            loaded_encoder(encoder, str(device()))
        result["load_seconds"] = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), cpu_seconds()
        features = extract_features(clip, profile, use_cache=False)
        result.update(seconds=time.perf_counter() - started, cpu_seconds=cpu_seconds() - cpu_started,
                      steps=features.num_steps)
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
    parser.add_argument("--repeats", type=int, default=2, help="runs of each fast phase, alternating (default 2)")
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
        phases = ["decode"] + ["fast", "fast" + NO_EXTRAS] * max(1, args.repeats) + ([] if args.skip_i3d else ["i3d"])
        print(f"{'phase':13s} {'seconds':>8s} {'CPU s':>7s} {'x decode':>9s} {'model load':>11s} {'peak MB':>8s}",
              flush=True)
        results: dict[str, dict] = {}
        cpu: dict[str, list[float]] = {}
        for name in phases:
            r = run_phase(name, clip, args.threads)
            if name not in results or r["seconds"] < results[name]["seconds"]:
                results[name] = r
            cpu.setdefault(name, []).append(r["cpu_seconds"])
            load = f"{r['load_seconds']:.1f}" if "load_seconds" in r else "-"
            ratio = r["seconds"] / results["decode"]["seconds"]
            print(f"{name:13s} {r['seconds']:8.1f} {r['cpu_seconds']:7.1f} {ratio:9.2f} {load:>11s} "
                  f"{r['peak_mb']:8.0f}", flush=True)
    floor = results["decode"]["seconds"]
    fast, without = results["fast"]["seconds"], results["fast" + NO_EXTRAS]["seconds"]
    print(f"fast: {fast / floor:.2f}x decode-only (goal <= 3x), {fast:.1f} s for {args.seconds:.0f} s "
          f"(goal <= {15 * args.seconds / 60:.0f} s); peak {max(r['peak_mb'] for r in results.values()):.0f} MB "
          f"(goal < 2048)")
    pairs = [a / b for a, b in zip(cpu["fast"], cpu["fast" + NO_EXTRAS])]
    print(f"extra streams (face cue, voice pitch): fast with them / without = {fast / without:.2f} in wall-clock time "
          f"({fast:.1f} / {without:.1f} s, "
          f"the quickest of {max(1, args.repeats)} alternating runs each), {np.mean(pairs):.2f} in CPU time (mean of "
          f"the pairs {', '.join(f'{r:.2f}' for r in pairs)}); goal <= 1.50")
    return 0


if __name__ == "__main__":
    sys.exit(main())
