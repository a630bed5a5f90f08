"""``python -m loco extract VIDEO_OR_FOLDER --profile fast --out DIR``: write one feature file per video
(``DIR/<video_id>.npz``, the format of ``loco.features.store``). A folder is processed by a bounded pool of worker
processes; videos whose feature file already exists with the same profile and encoders are skipped, so an
interrupted run resumes where it stopped. Stopped by Ctrl-C or a SIGTERM, it lets the videos in progress finish,
starts no other and exits 130, leaving no worker behind. Unusable videos are reported and skipped."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from loco.io import sha256_file

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".flv", ".wmv", ".ogv"}


def video_id_for(path: Path, root: Path | None = None) -> str:
    """A safe file stem derived from the video's path (relative to ``root``); never used as a path by itself."""
    relative = path.relative_to(root) if root is not None else Path(path.name)
    text = "__".join(relative.with_suffix("").parts)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "video"
    if safe != text or len(safe) > 120:
        safe = f"{safe[:100]}-{hashlib.sha256(str(relative).encode()).hexdigest()[:8]}"
    return safe


def find_videos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def is_done(target: Path, profile: str, video: Path) -> bool:
    """True when ``target`` holds features of this very video (same content hash) with this profile and encoders: a
    video rendered again (a rebuilt split) is extracted again, never matched to its old features by name."""
    # late, like every torch import of a command: building ``python -m loco --help`` imports every command module
    from loco.features.profiles import get_profile
    from loco.features.store import FeatureFileError, read_features

    if not target.is_file():
        return False
    try:
        meta = read_features(target).meta
    except FeatureFileError:
        return False
    if meta.profile != profile or meta.encoders != get_profile(profile).encoders:
        return False
    return meta.video_sha256 == sha256_file(video)


def extract_one(video: Path, target: Path, profile: str, use_cache: bool, threads: int) -> tuple[str, int]:
    """Extract and save one video with ``threads`` torch threads (it runs in a worker process for a folder); returns
    (video name, number of steps)."""
    # late, like every torch import of a command: building ``python -m loco --help`` imports every command module
    import torch

    from loco.features.extract import extract_features

    torch.set_num_threads(threads)
    result = extract_features(video, profile=profile, use_cache=use_cache)
    result.save(target)
    return video.name, result.num_steps


def run(args: argparse.Namespace) -> int:
    # late, like every torch import of a command: building ``python -m loco --help`` imports every command module
    from loco.features.profiles import get_profile
    from loco.media import MediaError

    source, out = Path(args.source), Path(args.out)
    get_profile(args.profile)
    if not source.exists():
        raise FileNotFoundError(f"no such file or folder: {source}")
    out.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        name, steps = extract_one(source, out / f"{video_id_for(source)}.npz", args.profile, not args.no_cache,
                                  args.threads or os.cpu_count() or 1)
        print(f"{name}: {steps} steps -> {out / (video_id_for(source) + '.npz')}")
        return 0
    jobs = [(v, out / f"{video_id_for(v, source)}.npz") for v in find_videos(source)]
    todo = [(v, t) for v, t in jobs if not is_done(t, args.profile, v)]
    print(f"{len(jobs)} videos, {len(jobs) - len(todo)} already done, {len(todo)} to extract")
    workers = max(1, min(args.workers, len(todo) or 1))
    threads = args.threads or max(1, (os.cpu_count() or 1) // workers)
    failures: list[str] = []
    done = 0
    # a SIGTERM (a batch job stopped) unwinds as Ctrl-C does: otherwise the workers outlive this process
    previous = signal.signal(signal.SIGTERM, _interrupted)
    interrupted = False
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(extract_one, v, t, args.profile, not args.no_cache, threads): v for v, t in todo}
            try:
                for future in tqdm(as_completed(futures), total=len(futures), unit="video", disable=args.quiet):
                    try:
                        future.result()
                        done += 1
                    except (MediaError, ValueError) as err:
                        failures.append(f"{futures[future].name}: {err}")
            except KeyboardInterrupt:
                interrupted = True
                pool.shutdown(wait=True, cancel_futures=True)  # the videos in progress finish, no other starts
    except KeyboardInterrupt:  # while the pool started or shut down
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    if interrupted:
        print(f"interrupted: {done} extracted, {len(todo) - done - len(failures)} left; run the same command again "
              "to resume", file=sys.stderr)
        return 130
    for line in failures:
        print(f"skipped {line}", file=sys.stderr)
    print(f"done: {len(todo) - len(failures)} extracted, {len(failures)} skipped, features in {out}")
    return 1 if failures else 0


def _interrupted(signum: int, frame) -> None:
    raise KeyboardInterrupt


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract", help="extract audio-visual features of a video or a folder of videos", description=__doc__
    )
    parser.add_argument("source", metavar="VIDEO_OR_FOLDER", help="a video file, or a folder searched recursively")
    parser.add_argument("--profile", default="fast", choices=["fast", "i3d"],
                        help="fast = MobileNetV2 + YAMNet (CPU default); i3d = I3D RGB + YAMNet")
    parser.add_argument("--out", required=True, help="folder for the <video_id>.npz feature files")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="parallel worker processes for a folder (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per worker (default: cores / workers)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
