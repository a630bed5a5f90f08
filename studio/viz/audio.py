"""Waveform envelope and log-mel spectrogram rows, computed once per video and drawn under the timeline."""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np


@dataclass(frozen=True)
class AudioRows:
    """What the timeline draws under its lanes: a min/max envelope and a log-mel spectrogram, both on seconds."""

    envelope_times: np.ndarray  # [B] bucket centres, seconds
    envelope_min: np.ndarray  # [B]
    envelope_max: np.ndarray  # [B]
    spectrogram_times: np.ndarray  # [F] frame centres, seconds
    mel_hz: np.ndarray  # [M] centre frequency of each mel band
    spectrogram_db: np.ndarray  # [M, F]


def envelope(samples: np.ndarray, sample_rate: int, buckets: int = 1200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max per bucket: keeps every peak visible while drawing a few thousand points for any length."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if samples.size == 0:
        empty = np.zeros(0, dtype=np.float32)
        return empty, empty, empty
    buckets = max(1, min(buckets, samples.size))
    edges = np.linspace(0, samples.size, buckets + 1).astype(int)
    lows = np.minimum.reduceat(samples, edges[:-1])
    highs = np.maximum.reduceat(samples, edges[:-1])
    centres = (edges[:-1] + edges[1:]) / 2.0 / sample_rate
    return centres, lows, highs


def audio_rows(samples: np.ndarray, sample_rate: int, *, buckets: int = 1200, n_mels: int = 64,
               max_frames: int = 800) -> AudioRows:
    """Both rows from mono samples. The spectrogram's hop is chosen so a 60 s clip gives at most ``max_frames``
    columns: the browser gets a small heatmap whatever the audio's length."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    times, lows, highs = envelope(samples, sample_rate, buckets)
    n_fft = 1024
    hop = max(256, int(np.ceil(samples.size / max_frames)))
    if samples.size < n_fft:
        samples = np.pad(samples, (0, n_fft - samples.size))
    mel = librosa.feature.melspectrogram(y=samples, sr=sample_rate, n_fft=n_fft, hop_length=hop, n_mels=n_mels)
    db = librosa.power_to_db(mel, ref=np.max(mel) if mel.max() > 0 else 1.0, top_db=80.0).astype(np.float32)
    frame_times = librosa.frames_to_time(np.arange(db.shape[1]), sr=sample_rate, hop_length=hop)
    mel_hz = librosa.mel_frequencies(n_mels=n_mels, fmin=0.0, fmax=sample_rate / 2.0)
    return AudioRows(times, lows, highs, frame_times, mel_hz, db)
