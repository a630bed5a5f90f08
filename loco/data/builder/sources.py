"""The real media the dataset is made of: the stamp catalogue (classes, which stamp belongs to which split, distractors)
and the background footage with the time range each split may use.

Splitting is by SOURCE: a class's stamps (one recording + one photo each) are train stamps (train and validation
videos), test stamps (test videos only) or dev stamps (dev videos only); distractor stamps alternate between the train
and test pools (dev videos draw the train pool's plus their own); each background file's first part feeds
train/validation and its last part feeds test and dev. So no test or dev pixel or sample was ever seen in training,
and the dev split (exemplars held out from training AND from test) can choose what validation cannot: how much to
trust what the model learnt from the training exemplars on exemplars it has never seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from loco.data.builder.gcompris import GcomprisError, gcompris_files, is_gcompris_key
from loco.data.builder.media import MediaError, is_pair_key, resolve_pair
from loco.paths import ASSETS_DIR, data_dir

DEFAULT_STAMP_ROOT = Path("/usr/share/tuxpaint/stamps")
DEFAULT_MAPPING = ASSETS_DIR / "dataset" / "stamp_classes.json"
TAXONOMY = ASSETS_DIR / "taxonomy" / "unav100_classes.json"
OPENCV_FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data")
FOOTAGE_SUFFIXES = (".avi", ".mp4", ".mpg", ".mkv", ".mov", ".webm")
# Each subset's videos come from their own random stream, numbered by position here: new subsets go last.
SUBSETS = ("train", "validation", "test", "dev")
POOLS = ("train", "test", "dev")
# The last TEST_FRACTION of every background file is reserved for test videos.
TEST_FRACTION = 0.3
MIN_PHOTO_ONLY_HEIGHT = 96


class SourceError(ValueError):
    """The stamps, the class mapping or the background footage are missing or unusable."""


def pool_of(subset: str) -> str:
    """Which source pool a subset draws from: validation shares the train sources, test and dev have their own."""
    if subset not in SUBSETS:
        raise SourceError(f"unknown subset {subset!r}; expected one of {SUBSETS}")
    return "train" if subset == "validation" else subset


@dataclass(frozen=True)
class Stamp:
    """One photo + recording pair: ``key`` is a Tux Paint stamp's path under the stamps folder without extension,
    ``gcompris:<name>`` for a GCompris farm-animal pair (see ``gcompris.py``) or ``<photo locator>|<sound locator>``
    for a photo and a recording from other packages (see ``media.py``)."""

    key: str
    photo: Path | None
    sound: Path | None


@dataclass(frozen=True)
class StampClass:
    """A UnAV-100 class (its name and label_id in the taxonomy) and its exemplars per pool."""

    name: str
    label_id: int
    train: tuple[Stamp, ...]
    test: tuple[Stamp, ...]
    dev: tuple[Stamp, ...] = ()

    def stamps(self, pool: str) -> tuple[Stamp, ...]:
        return {"train": self.train, "test": self.test, "dev": self.dev}[pool]


@dataclass(frozen=True)
class Catalogue:
    """Classes plus, per pool, distractor stamps with sound and photo and photo-only stamps."""

    root: Path
    classes: tuple[StampClass, ...]
    distractors: dict[str, tuple[Stamp, ...]]
    photo_only: dict[str, tuple[Stamp, ...]]

    def classes_for(self, subset: str) -> tuple[StampClass, ...]:
        """Classes that can appear as events in a subset (test, dev: only classes with a stamp of that pool)."""
        pool = pool_of(subset)
        return tuple(c for c in self.classes if c.stamps(pool))

    def by_name(self, name: str) -> StampClass:
        for stamp_class in self.classes:
            if stamp_class.name == name:
                return stamp_class
        raise SourceError(f"no class named {name!r}")

    def stamp(self, key: str) -> Stamp:
        """Any catalogued stamp by key (used to rebuild a plan from its JSON)."""
        for stamp_class in self.classes:
            for stamp in stamp_class.train + stamp_class.test + stamp_class.dev:
                if stamp.key == key:
                    return stamp
        for group in (*self.distractors.values(), *self.photo_only.values()):
            for stamp in group:
                if stamp.key == key:
                    return stamp
        raise SourceError(f"no stamp {key!r} in the catalogue")


def _stamp(root: Path, key: str, need_sound: bool = True) -> Stamp:
    if is_pair_key(key):
        try:
            photo, sound = resolve_pair(key)
        except MediaError as err:
            raise SourceError(str(err)) from err
        return Stamp(key=key, photo=photo, sound=sound)
    if is_gcompris_key(key):
        try:
            photo, sound = gcompris_files(key)
        except GcomprisError as err:
            raise SourceError(str(err)) from err
        return Stamp(key=key, photo=photo, sound=sound)
    photo, sound = root / f"{key}.png", root / f"{key}.ogg"
    if not photo.is_file() or (need_sound and not sound.is_file()):
        raise SourceError(
            f"stamp {key!r} lacks its photo or sound under {root} (is tuxpaint-stamps-default installed?)"
        )
    return Stamp(key=key, photo=photo, sound=sound if sound.is_file() else None)


def _alternate(items: list[Stamp]) -> dict[str, tuple[Stamp, ...]]:
    ordered = sorted(items, key=lambda s: s.key)
    return {"train": tuple(ordered[0::2]), "test": tuple(ordered[1::2])}


def _photo_only_stamps(root: Path, folders: list[str]) -> list[Stamp]:
    found = []
    for folder in folders:
        for png in sorted((root / folder).rglob("*.png")):
            if png.with_suffix(".ogg").exists() or "thumb" in png.stem:
                continue
            with Image.open(png) as image:
                if min(image.size) < MIN_PHOTO_ONLY_HEIGHT:
                    continue
            found.append(Stamp(key=str(png.relative_to(root).with_suffix("")), photo=png, sound=None))
    return found


def load_catalogue(stamp_root: Path | str = DEFAULT_STAMP_ROOT, mapping: Path | str = DEFAULT_MAPPING) -> Catalogue:
    """Read the class mapping and check every listed stamp exists; raises SourceError otherwise."""
    root, mapping = Path(stamp_root), Path(mapping)
    if not root.is_dir():
        raise SourceError(f"stamp folder {root} not found; install the Debian package tuxpaint-stamps-default")
    if not mapping.is_file():
        raise SourceError(f"class mapping {mapping} not found")
    spec = json.loads(mapping.read_text())
    taxonomy = {c["name"]: c["label_id"] for c in json.loads(TAXONOMY.read_text())["classes"]}
    classes = []
    for entry in spec["classes"]:
        if entry["name"] not in taxonomy:
            raise SourceError(f"class {entry['name']!r} is not a UnAV-100 class ({TAXONOMY.name})")
        pools = {pool: tuple(_stamp(root, key) for key in entry.get(pool, [])) for pool in POOLS}
        if not pools["train"]:
            raise SourceError(f"class {entry['name']!r} has no train stamp")
        keys = [s.key for pool in POOLS for s in pools[pool]]
        if len(set(keys)) < len(keys):
            raise SourceError(f"class {entry['name']!r} lists a stamp in more than one of {POOLS}")
        classes.append(StampClass(entry["name"], taxonomy[entry["name"]], **pools))
    distractor_spec = spec["distractors"]
    distractors = _alternate([_stamp(root, key) for key in distractor_spec["sound_and_photo"]])
    dev_only = tuple(_stamp(root, key) for key in distractor_spec.get("dev_only_sound_and_photo", []))
    distractors["dev"] = distractors["train"] + dev_only
    photo_only = _alternate(_photo_only_stamps(root, distractor_spec["photo_only_folders"]))
    photo_only["dev"] = photo_only["train"]
    return Catalogue(root=root, classes=tuple(classes), distractors=distractors, photo_only=photo_only)


@dataclass(frozen=True)
class Background:
    """A background footage file and its length; each split uses its own time range of it."""

    path: Path
    duration: float
    fps: float
    width: int
    height: int

    @property
    def name(self) -> str:
        return self.path.name

    def time_range(self, subset: str) -> tuple[float, float]:
        cut = self.duration * (1.0 - TEST_FRACTION)
        return (0.0, cut) if pool_of(subset) == "train" else (cut, self.duration)


def probe_background(path: Path | str) -> Background:
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            duration = float(container.duration / av.time_base) if container.duration else float(stream.frames) / fps
            return Background(path, duration, fps, stream.codec_context.width, stream.codec_context.height)
    except (av.FFmpegError, IndexError) as err:
        raise SourceError(f"background {path.name} is not a readable video: {err}") from err


def default_background_paths() -> list[Path]:
    """opencv-doc's vtest.avi and tree.avi plus every video under ``<data dir>/footage`` (see assets/dataset/LICENSES.md
    for fetching cityCC0.mpg and bikes.mp4 there)."""
    paths = [OPENCV_FOOTAGE / name for name in ("vtest.avi", "tree.avi") if (OPENCV_FOOTAGE / name).is_file()]
    footage = data_dir() / "footage"
    if footage.is_dir():
        paths += sorted(p for p in footage.iterdir() if p.suffix.lower() in FOOTAGE_SUFFIXES)
    return paths


def load_backgrounds(paths: list[Path | str] | None = None) -> tuple[Background, ...]:
    paths = [Path(p) for p in paths] if paths else default_background_paths()
    if not paths:
        raise SourceError("no background footage found; install opencv-doc or pass --backgrounds FILE ...")
    for path in paths:
        if not path.is_file():
            raise SourceError(f"background file {path} not found")
    return tuple(probe_background(p) for p in sorted(paths, key=lambda p: p.name))
