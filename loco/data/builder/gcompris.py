"""Photo + recording pairs from GCompris (Debian ``gcompris-qt-data``), a second source of exemplars beside Tux Paint.

GCompris keeps its media inside Qt resource bundles; the pairs listed in ``GCOMPRIS_STAMPS`` are copied out once, as
they are (WebP photo, Ogg Vorbis recording), to ``<data dir>/sources/gcompris/`` so the builder can read them like
stamp files. Licences (``/usr/share/doc/gcompris-qt-data/copyright`` and the README inside the bundle): recordings
GPL-3 ("Bruno Coudoin and others"); photos public domain or CC0 from Wikimedia Commons.
"""

from __future__ import annotations

from pathlib import Path

from loco.data.builder.qt_resource import QtResourceError, read_qt_resources
from loco.io import atomic_write
from loco.paths import sub_dir

GCOMPRIS_RCC_ROOT = Path("/usr/share/gcompris-qt/rcc")
KEY_PREFIX = "gcompris:"  # stamp keys in the class mapping that name a GCompris pair, e.g. "gcompris:farm_animals/dog"
_FARM = "gcompris/src/activities/explore_farm_animals/resource/animals/"
# name -> (bundle, photo inside it, recording inside it)
GCOMPRIS_STAMPS: dict[str, tuple[str, str, str]] = {
    f"farm_animals/{animal}": ("explore_farm_animals.rcc", f"{_FARM}{animal}.webp", f"{_FARM}{recording}.ogg")
    for animal, recording in [
        ("cat", "cat"), ("chicken", "chickens"), ("cow", "cow"), ("dog", "dog"), ("duck", "duck"),
        ("horse", "horse"), ("owl", "owl"), ("pig", "pig"), ("sheep", "sheep"),
    ]
}


class GcomprisError(ValueError):
    """A GCompris pair is unknown, or the package that holds it is missing or unreadable."""


def is_gcompris_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX)


def gcompris_files(
    key: str, rcc_root: Path | str = GCOMPRIS_RCC_ROOT, out_root: Path | str | None = None
) -> tuple[Path, Path]:
    """(photo, recording) of the pair ``key`` (``gcompris:<name>``), copied out of its bundle on first use."""
    name = key.removeprefix(KEY_PREFIX)
    if name not in GCOMPRIS_STAMPS:
        raise GcomprisError(f"unknown GCompris pair {key!r}; known: {sorted(GCOMPRIS_STAMPS)}")
    bundle_name, photo_entry, sound_entry = GCOMPRIS_STAMPS[name]
    out = Path(out_root) if out_root else sub_dir("sources") / "gcompris"
    photo, sound = out / f"{name}.webp", out / f"{name}.ogg"
    if photo.is_file() and sound.is_file():
        return photo, sound
    bundle = Path(rcc_root) / bundle_name
    if not bundle.is_file():
        raise GcomprisError(f"{bundle} not found; install the Debian package gcompris-qt-data")
    try:
        files = read_qt_resources(bundle)
    except QtResourceError as err:
        raise GcomprisError(str(err)) from err
    for entry, target in ((photo_entry, photo), (sound_entry, sound)):
        if entry not in files:
            raise GcomprisError(f"{bundle.name} has no {entry} (another gcompris-qt-data version?)")
        with atomic_write(target) as handle:
            handle.write(files[entry])
    return photo, sound
