"""A voice-pitch cue: the fundamental frequency (F0) around every step, from the audio the profile already decodes.

YAMNet's AudioSet head has one "Speech" label for men and women alike, so the label spaces cannot tell "man
speaking" from "woman speaking", and the closed head learns them from a few corpus speakers. A speaker's F0 is the
classic cue (adult male voices mostly lie near 85-180 Hz, female near 165-255 Hz; on the benchmark's speaking events
the median F0 separates the two at ROC AUC 0.89, experiments/voice_pitch.py). :mod:`loco.model.voice_pitch` reads
this stream at decoding.

Per step, over the same 0.96 s window YAMNet sees: the median F0 of the window's voiced frames and the share of its
frames that are voiced (0 and 0 where none is). F0 is YIN's (de Cheveigné and Kawahara, 2002; ``librosa.yin``,
60-400 Hz, 64 ms frames every 16 ms); a frame is voiced when the signal repeats at that period, its normalised
autocorrelation at the lag of one period at least ``VOICED_CORRELATION``. YIN alone gives a value for every frame,
voiced or not. pYIN (``librosa.pyin``) decides voicing with an HMM and costs about 80 times as much (4.7 s against
0.06 s per minute of audio here), far beyond the ``fast`` profile's budget; on the real-video set's four talks the two
agree on 87-92 % of the frames' voicing, and their median F0 within 2 Hz.
Registers the ``voice_pitch`` encoder: (samples float32 at 16 kHz, step centres in seconds from the first sample)
-> float32 [N, 2] (F0 in Hz, voiced share).
"""

from __future__ import annotations

import librosa
import numpy as np

from loco.features.registry import Encoder, WaveformEmbed, register_encoder
from loco.features.yamnet import PATCH_SECONDS, SAMPLE_RATE

F0_RANGE_HZ = (60.0, 400.0)
FRAME_SAMPLES = 1024  # 64 ms: two periods of the lowest F0
HOP_SAMPLES = 256  # 16 ms
VOICED_CORRELATION = 0.5
CUE_DIM = 2  # (median F0 of the window's voiced frames, Hz; the share of its frames that are voiced)


def periodicity(samples: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """[F] each frame's normalised autocorrelation at the lag of its period (frames as ``librosa.yin`` centres them)."""
    frames = librosa.util.frame(np.pad(samples, FRAME_SAMPLES // 2), frame_length=FRAME_SAMPLES,
                                hop_length=HOP_SAMPLES)[:, : len(f0)]
    lag = np.rint(SAMPLE_RATE / f0).astype(np.int64)[None, :]
    index = np.arange(FRAME_SAMPLES)[:, None]
    inside = index < FRAME_SAMPLES - lag
    now = np.where(inside, frames, 0.0)
    later = np.where(inside, np.take_along_axis(frames, np.minimum(index + lag, FRAME_SAMPLES - 1), axis=0), 0.0)
    return (now * later).sum(0) / np.sqrt((now * now).sum(0) * (later * later).sum(0) + 1e-12)


def step_pitch(samples: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """[N, 2] (F0 Hz, voiced share) of the windows of PATCH_SECONDS centred at ``centres`` (seconds from
    samples[0])."""
    out = np.zeros((len(centres), CUE_DIM), np.float32)
    if len(samples) < FRAME_SAMPLES or not len(centres):
        return out
    samples = np.asarray(samples, np.float32)
    f0 = librosa.yin(samples, fmin=F0_RANGE_HZ[0], fmax=F0_RANGE_HZ[1], sr=SAMPLE_RATE, frame_length=FRAME_SAMPLES,
                     hop_length=HOP_SAMPLES)
    voiced = periodicity(samples, f0) >= VOICED_CORRELATION
    times = np.arange(len(f0)) * HOP_SAMPLES / SAMPLE_RATE
    first = np.searchsorted(times, np.asarray(centres) - PATCH_SECONDS / 2)
    last = np.searchsorted(times, np.asarray(centres) + PATCH_SECONDS / 2)
    for index, (a, b) in enumerate(zip(first, last)):
        if voiced[a:b].any():
            out[index] = (np.median(f0[a:b][voiced[a:b]]), voiced[a:b].mean())
    return out


def embedder(device: str) -> WaveformEmbed:
    """The cue needs no weights and runs on the CPU whatever the device. Loading runs it once on a short tone:
    librosa's first YIN call in a process compiles and imports for about 2.5 s, which belongs to loading, not to the
    first video."""
    tone = np.sin(2 * np.pi * 150.0 * np.arange(4 * FRAME_SAMPLES) / SAMPLE_RATE).astype(np.float32)
    step_pitch(tone, np.array([0.1]))
    return step_pitch


register_encoder(
    Encoder(
        name="voice_pitch",
        stream="waveform",
        dim=CUE_DIM,
        version=(f"yin-librosa/{F0_RANGE_HZ[0]:g}-{F0_RANGE_HZ[1]:g}/f{FRAME_SAMPLES}h{HOP_SAMPLES}/"
                 f"voiced{VOICED_CORRELATION:g}"),
        files=(),
        convert=lambda: (),
        load=embedder,
    )
)
