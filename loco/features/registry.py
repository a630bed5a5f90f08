"""The encoder registry: every pretrained encoder a feature profile can name, looked up by that name.

Each encoder module (``i3d.py``, ``mobilenet.py``, ``yamnet.py``, and the extra streams' ``faces.py`` and
``pitch.py``) describes itself with an :class:`Encoder`, owns its conversion and loading, and calls
:func:`register_encoder` when it is imported; ``loco/features/__init__.py`` imports every such module, so the registry
is complete whenever anything from ``loco.features`` is used.

Adding an encoder = one new module that registers itself + its name in that import line. A profile
(:mod:`loco.features.profiles`) can then name it, and ``python -m loco prepare-weights`` converts its weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from loco.features.weights import PackagedFile

Stream = Literal["visual", "audio", "waveform"]
# A loaded encoder: a batch in, float32 embeddings [N, dim] out. Visual encoders take uint8 RGB clips
# [N, T, 224, 224, 3], audio encoders the log-mel patches [N, 96, 64] of :mod:`loco.features.yamnet`'s frontend.
Embed = Callable[[np.ndarray], np.ndarray]
# A waveform encoder (an extra stream only, e.g. the voice pitch) reads the raw 16 kHz samples, which the log-mel
# patches no longer hold: (samples [S], step centres in seconds from samples[0] [N]) -> float32 [N, dim].
WaveformEmbed = Callable[[np.ndarray, np.ndarray], np.ndarray]


class UnknownEncoderError(ValueError):
    """No encoder is registered under the name asked for."""


class DuplicateEncoderError(ValueError):
    """An encoder is already registered under that name (a second one would silently replace it)."""


@dataclass(frozen=True)
class Encoder:
    """One pretrained encoder.

    ``version`` is written into every feature file and the feature cache key: change it exactly when the encoder's
    outputs change (it invalidates every cached and shipped feature file that used it). ``files`` are the package
    files it is converted from; ``convert()`` writes the safe converted files into the weights folder the first time
    and returns their paths (later calls only look); ``load(device)`` returns the ready encoder.
    """

    name: str
    stream: Stream
    dim: int
    version: str
    files: tuple[PackagedFile, ...]
    convert: Callable[[], tuple[Path, ...]]
    load: Callable[[str], Embed | WaveformEmbed]


_REGISTRY: dict[str, Encoder] = {}


def register_encoder(encoder: Encoder) -> Encoder:
    """Add ``encoder`` under its name and return it; a name that is taken already is refused."""
    if encoder.name in _REGISTRY:
        raise DuplicateEncoderError(f"an encoder named {encoder.name!r} is already registered")
    _REGISTRY[encoder.name] = encoder
    return encoder


def get_encoder(name: str) -> Encoder:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEncoderError(f"unknown encoder {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def main_stream(name: str) -> Literal["visual", "audio"]:
    """The main stream an encoder reads from: a waveform encoder reads the audio."""
    stream = get_encoder(name).stream
    return "audio" if stream == "waveform" else stream


def encoders() -> tuple[Encoder, ...]:
    """Every registered encoder, in registration order."""
    return tuple(_REGISTRY.values())


def prepare_all() -> dict[str, tuple[Path, ...]]:
    """Convert every registered encoder's weights that are not converted yet; the converted paths by encoder name."""
    return {encoder.name: encoder.convert() for encoder in encoders()}
