"""Waveform envelope and log-mel spectrogram rows, computed once per video in bounded memory and drawn under the
timeline.

The rows are computed from consecutive blocks of samples (a file's audio is streamed, never decoded whole): a min/max
envelope per bucket and, per spectrogram column, the mean mel power of the 1024-sample frames (every 256 samples)
centred in it (at most about 8 per column: a long video's columns sample their span). A video's overview is kept at a
fixed resolution per second (:func:`overview_rows`) and cropped and re-pooled to the span a figure shows
(:meth:`AudioRows.crop`), so a figure stays small whatever the video's length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft

from loco.io import atomic_write

N_FFT = 1024
FRAME_HOP = 256  # between frames, or a multiple of it when a column spans more than FRAMES_PER_COLUMN such hops
FRAMES_PER_COLUMN = 8
BUCKETS = 1200
MAX_FRAMES = 800
OVERVIEW_BUCKETS_PER_SECOND = 4
OVERVIEW_FRAMES_PER_SECOND = 2


@dataclass(frozen=True)
class AudioRows:
    """What the timeline draws under its lanes: a min/max envelope and a log-mel spectrogram, both on seconds."""

    envelope_times: np.ndarray  # [B] bucket centres, seconds
    envelope_min: np.ndarray  # [B]
    envelope_max: np.ndarray  # [B]
    spectrogram_times: np.ndarray  # [F] frame centres, seconds
    mel_hz: np.ndarray  # [M] centre frequency of each mel band
    spectrogram_db: np.ndarray  # [M, F]

    def crop(self, start: float, end: float, buckets: int = BUCKETS, max_frames: int = MAX_FRAMES) -> "AudioRows":
        """The rows between ``start`` and ``end`` seconds, at most ``buckets`` envelope buckets (min of the minima,
        max of the maxima) and ``max_frames`` spectrogram columns (mean dB)."""
        keep = (self.envelope_times >= start) & (self.envelope_times <= end)
        groups = _groups(int(keep.sum()), buckets)
        times, lows, highs = self.envelope_times[keep], self.envelope_min[keep], self.envelope_max[keep]
        columns = (self.spectrogram_times >= start) & (self.spectrogram_times <= end)
        frames = _groups(int(columns.sum()), max_frames)
        db = self.spectrogram_db[:, columns]
        return AudioRows(
            _mean(times, groups), _reduce(np.minimum, lows, groups), _reduce(np.maximum, highs, groups),
            _mean(self.spectrogram_times[columns], frames), self.mel_hz,
            _mean(db.T, frames).T if db.shape[1] else db,
        )


def _groups(count: int, limit: int) -> np.ndarray:
    """Starts of at most ``limit`` consecutive groups over ``count`` items."""
    return np.unique(np.linspace(0, count, min(count, limit) + 1).astype(int)[:-1])


def _reduce(op, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return op.reduceat(values, starts, axis=0) if len(values) else values


def _mean(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    sizes = np.diff(np.append(starts, len(values))).reshape(-1, *([1] * (values.ndim - 1)))
    return np.add.reduceat(values, starts, axis=0) / sizes


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa's default."""
    hz = np.asarray(hz, dtype=np.float64)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, logarithmic, hz * 3.0 / 200.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (mel - 15.0)), mel * 200.0 / 3.0)


def mel_frequencies(n_mels: int, fmax: float) -> np.ndarray:
    """Centre frequencies of ``n_mels`` bands evenly spaced on the mel scale from 0 Hz to ``fmax``."""
    return _mel_to_hz(np.linspace(0.0, float(_hz_to_mel(fmax)), n_mels))


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular, area-normalised mel filters ``[n_mels, n_fft / 2 + 1]`` (librosa's ``filters.mel`` defaults)."""
    edges = mel_frequencies(n_mels + 2, sample_rate / 2.0)
    bins = np.linspace(0.0, sample_rate / 2.0, 1 + n_fft // 2)
    ramps = edges[:, None] - bins[None, :]
    widths = np.diff(edges)
    rising, falling = -ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return filters.astype(np.float32)


def power_to_db(power: np.ndarray, ref: float, top_db: float = 80.0) -> np.ndarray:
    """``10 log10(power / ref)``, floored ``top_db`` below the maximum (librosa's ``power_to_db``)."""
    db = 10.0 * np.log10(np.maximum(power, 1e-10)) - 10.0 * np.log10(max(ref, 1e-10))
    return np.maximum(db, db.max() - top_db) if db.size else db


class _Envelope:
    """Min and max per bucket of ``size`` samples, fed block by block."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lows: list[np.ndarray] = []
        self.highs: list[np.ndarray] = []
        self.seen = 0

    def add(self, block: np.ndarray) -> None:
        offset = self.seen % self.size  # samples already in the current bucket
        starts = np.arange(self.size - offset if offset else 0, block.size, self.size)
        if offset:
            starts = np.r_[0, starts]
        lows, highs = np.minimum.reduceat(block, starts), np.maximum.reduceat(block, starts)
        if offset:  # the first group ends the bucket the previous block began
            self.lows[-1][-1] = min(self.lows[-1][-1], lows[0])
            self.highs[-1][-1] = max(self.highs[-1][-1], highs[0])
            lows, highs = lows[1:], highs[1:]
        if lows.size:
            self.lows.append(lows)
            self.highs.append(highs)
        self.seen += block.size

    def rows(self, sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lows = np.concatenate(self.lows) if self.lows else np.zeros(0, np.float32)
        highs = np.concatenate(self.highs) if self.highs else np.zeros(0, np.float32)
        starts = np.arange(len(lows)) * self.size
        ends = np.minimum(starts + self.size, self.seen)
        return (starts + ends) / 2.0 / sample_rate, lows, highs


class _Spectrogram:
    """Mean mel power per column of ``hop`` samples, from 1024-sample Hann frames every ``frame_hop`` samples (centred,
    zero padded at both ends), fed block by block. Power spectra are summed per column and turned into mel bands once
    at the end (one matrix product, not one per block)."""

    def __init__(self, sample_rate: int, hop: int, frame_hop: int, n_mels: int) -> None:
        self.hop, self.frame_hop = hop, frame_hop
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
        self.mel_basis = mel_filters(sample_rate, N_FFT, n_mels)
        self.buffer = np.zeros(N_FFT // 2, np.float32)
        self.origin = -(N_FFT // 2)  # sample index of buffer[0]
        self.next_frame = 0
        self.columns: list[int] = []  # the last column of each piece below
        self.sums: list[np.ndarray] = []  # power spectra summed per column, [columns, N_FFT / 2 + 1] per piece
        self.counts: list[np.ndarray] = []

    def add(self, block: np.ndarray, last_frame: int | None = None) -> None:
        self.buffer = np.concatenate((self.buffer, block))
        available = (self.origin + self.buffer.size - N_FFT // 2) // self.frame_hop  # last frame whose window is here
        last = available if last_frame is None else min(available, last_frame)
        count = last - self.next_frame + 1
        if count > 0:
            first_sample = self.next_frame * self.frame_hop - N_FFT // 2 - self.origin
            windows = np.lib.stride_tricks.sliding_window_view(self.buffer[first_sample:], N_FFT)
            spectra = scipy.fft.rfft(windows[:: self.frame_hop][:count] * self.window, axis=1)
            power = spectra.real ** 2 + spectra.imag ** 2  # [count, N_FFT / 2 + 1]
            columns = (np.arange(self.next_frame, last + 1) * self.frame_hop) // self.hop
            starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
            sums, counts = np.add.reduceat(power, starts, axis=0), np.diff(np.r_[starts, count])
            if self.columns and self.columns[-1] == columns[0]:  # the first column continues the last one
                self.sums[-1][-1] += sums[0]
                self.counts[-1][-1] += counts[0]
                starts, sums, counts = starts[1:], sums[1:], counts[1:]
            if len(starts):
                self.columns.append(columns[-1])
                self.sums.append(sums)
                self.counts.append(counts)
            self.next_frame = last + 1
        drop = self.next_frame * self.frame_hop - N_FFT // 2 - self.origin
        if drop > 0:
            self.buffer, self.origin = self.buffer[drop:], self.origin + drop

    def finish(self, total: int) -> None:
        """The frames of the last samples, over zero padding (``1 + total // frame_hop`` frames in all)."""
        self.add(np.zeros(N_FFT // 2, np.float32), last_frame=total // self.frame_hop)

    def rows(self, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
        spectra = np.concatenate(self.sums) / np.concatenate(self.counts)[:, None]  # [F, N_FFT / 2 + 1]
        power = self.mel_basis @ spectra.T  # [M, F], one matrix product at the end
        ref = float(power.max()) if power.size and power.max() > 0 else 1.0
        db = power_to_db(power, ref).astype(np.float32)
        frames_per_column = self.hop // self.frame_hop
        times = (np.arange(power.shape[1]) * self.hop + (frames_per_column - 1) * self.frame_hop / 2) / sample_rate
        return times, db


def _column_hops(total: int, max_frames: int) -> tuple[int, int]:
    """``(column hop, frame hop)`` in samples: columns of at least 256 samples, about ``max_frames`` of them, each
    holding at most about :data:`FRAMES_PER_COLUMN` frames."""
    steps = math.ceil(max(FRAME_HOP, math.ceil(total / max_frames)) / FRAME_HOP)  # column span in 256-sample hops
    frame_hop = FRAME_HOP * math.ceil(steps / FRAMES_PER_COLUMN)
    return frame_hop * math.ceil(steps * FRAME_HOP / frame_hop), frame_hop


def audio_rows_of_blocks(blocks: Iterable[np.ndarray], sample_rate: int, total: int, *, buckets: int = BUCKETS,
                         n_mels: int = 64, max_frames: int = MAX_FRAMES,
                         progress: Callable[[int], None] | None = None) -> AudioRows:
    """Both rows from consecutive mono blocks, holding one block at a time. ``total`` is the expected number of
    samples (from the probed duration when streaming a file): it sets the bucket and column sizes, so the rows have
    about ``buckets`` buckets and at most about ``max_frames`` columns; ``progress(samples so far)`` per block."""
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    total = max(1, int(total))
    envelope = _Envelope(max(1, math.ceil(total / buckets)))
    spectrogram = _Spectrogram(sample_rate, *_column_hops(total, max_frames), n_mels)
    seen = 0
    for block in blocks:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if block.size:
            envelope.add(block)
            spectrogram.add(block)
            seen += block.size
        if progress is not None:
            progress(seen)
    spectrogram.finish(seen)
    times, lows, highs = envelope.rows(sample_rate)
    frame_times, db = spectrogram.rows(sample_rate)
    mel_hz = mel_frequencies(n_mels, sample_rate / 2.0)
    return AudioRows(times, lows, highs, frame_times, mel_hz, db)


def audio_rows(samples: np.ndarray, sample_rate: int, *, buckets: int = BUCKETS, n_mels: int = 64,
               max_frames: int = MAX_FRAMES) -> AudioRows:
    """Both rows from mono samples held in memory (see :func:`audio_rows_of_blocks`)."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    return audio_rows_of_blocks([samples], sample_rate, samples.size, buckets=buckets, n_mels=n_mels,
                                max_frames=max_frames)


def overview_rows(blocks: Iterable[np.ndarray], sample_rate: int, duration: float,
                  progress: Callable[[int], None] | None = None) -> AudioRows:
    """A video's audio overview: :data:`OVERVIEW_BUCKETS_PER_SECOND` envelope buckets and
    :data:`OVERVIEW_FRAMES_PER_SECOND` spectrogram columns per second (at least the figure's own resolution), so a
    figure showing a few minutes of a long video still gets its full detail by :meth:`AudioRows.crop`."""
    total = math.ceil(duration * sample_rate)
    return audio_rows_of_blocks(blocks, sample_rate, total,
                                buckets=max(BUCKETS, math.ceil(duration * OVERVIEW_BUCKETS_PER_SECOND)),
                                max_frames=max(MAX_FRAMES, math.ceil(duration * OVERVIEW_FRAMES_PER_SECOND)),
                                progress=progress)


def save_audio_rows(path: Path, rows: AudioRows) -> Path:
    """The rows as float32 arrays in one ``.npz``, written atomically."""
    with atomic_write(path) as handle:
        np.savez_compressed(handle, **{name: np.asarray(getattr(rows, name), dtype=np.float32)
                                       for name in AudioRows.__dataclass_fields__})
    return path


def load_audio_rows(path: Path) -> AudioRows:
    with np.load(path, allow_pickle=False) as data:
        return AudioRows(**{name: data[name] for name in AudioRows.__dataclass_fields__})
