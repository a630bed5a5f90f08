"""Telling man from woman speaking by the voice's pitch, at decoding (ours, not LoCo's;
``postprocess.voice_pitch_width``, docs/model.md §7).

The label spaces have one "Speech" label for both classes and the closed head learns them from a few corpus
speakers, so on real footage the model often gives a man's speech "woman speaking" (the White House statement of the
real-video set: 0.38 for woman, 0.11 for man). Each detection of a class with a voice register (``VOICE_REGISTERS``)
has its score multiplied by how well the pitch over its span fits that register:

    high = sigmoid(log2(f0 / 165 Hz) / width),    factor = high (a high voice) or 1 - high (a low voice)

``f0`` the span's pitch: the median of its steps' F0 (:mod:`loco.features.pitch`), each step weighed by its share of
voiced frames; 165 Hz the textbook boundary between adult male and female voices (not fitted); ``width`` in octaves
(``python -m loco voice-pitch`` chooses it on a held-out split). A span without voice gets 0.5 for both. Scores
only fall, so a detection the model doubts stays doubtful; spans and the other classes are untouched, and a video
whose features lack the pitch stream is decoded as without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BOUNDARY_HZ = 165.0
VOICE_REGISTERS = {"man speaking": -1, "woman speaking": 1}  # -1 a low voice, +1 a high one


def voice_registers(class_names: Sequence[str]) -> np.ndarray:
    """[C] int: each class's voice register (0: the pitch says nothing of it)."""
    return np.array([VOICE_REGISTERS.get(name, 0) for name in class_names], dtype=np.int64)


def span_pitch(pitch: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """[N] F0 in Hz over each of ``segments`` [N, 2] (start, end in steps; the steps whose index lies inside count, or
    the nearest one): the median of the steps' F0 weighted by their voiced share (``pitch`` [T, 2]); NaN where
    nothing is voiced."""
    num_steps = len(pitch)
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(segments), np.nan)
    for index, (start, end) in enumerate(segments):
        first, last = int(np.clip(np.ceil(start), 0, num_steps - 1)), int(np.clip(np.floor(end), 0, num_steps - 1))
        if last < first:
            first = last = int(np.clip(np.rint((start + end) / 2), 0, num_steps - 1))
        f0, voiced = pitch[first:last + 1, 0], pitch[first:last + 1, 1]
        if voiced.sum() > 0:
            order = np.argsort(f0, kind="stable")
            cumulative = np.cumsum(voiced[order])
            out[index] = f0[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
    return out


def pitch_factor(f0: np.ndarray, registers: np.ndarray, width: float) -> np.ndarray:
    """[N] the factor of each detection: 1 for a class without a register, 0.5 for a span without voice (NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        high = 1.0 / (1.0 + np.exp(-np.log2(f0 / BOUNDARY_HZ) / width))
    high = np.where(np.isfinite(high), high, 0.5)
    return np.where(registers > 0, high, np.where(registers < 0, 1.0 - high, 1.0))


def weigh_by_pitch(
    segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, pitch: np.ndarray, registers: np.ndarray,
    width: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The detections with the voiced classes' scores multiplied by their factor, best first again."""
    voiced = registers[labels] != 0
    if not voiced.any():
        return segments, scores, labels
    scores = scores.copy()
    scores[voiced] *= pitch_factor(span_pitch(pitch, segments[voiced]), registers[labels[voiced]], width)
    order = np.argsort(-scores, kind="stable")
    return segments[order], scores[order], labels[order]
