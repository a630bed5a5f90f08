"""Naming help from the encoders' own label spaces: an optional re-scoring of detections, our addition (not LoCo's).

A detector trained on one to four exemplars per class names new exemplars badly (a tiger after training on a lion;
``experiments/exemplar_gap.py``), but the pretrained encoders already know many of the classes: YAMNet's AudioSet head
scores "Roaring cats (lions, tigers)", MobileNetV2's ImageNet head scores "tiger". ``assets/dataset/label_space.json``
says which of their labels each class is. Both heads are linear layers on exactly the embeddings the ``fast`` profile
stores, so their scores come from the feature files without running any encoder again.

For a candidate segment, each stream's evidence for a class is its head's score averaged over the segment's steps
(AudioSet: the best of the class's labels, sigmoid; ImageNet: the summed softmax of its labels), divided by the best
class's evidence in that stream; the prior of a class is the geometric mean over the streams that map it (1 where
neither does). Decoding multiplies the detector's class probability ``p`` by the prior: ``p^(1-w) * prior^w``
(``postprocess.label_prior_weight`` = w; 0 leaves decoding as LoCo specifies it).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loco.paths import ASSETS_DIR

LABEL_SPACE_FILE = ASSETS_DIR / "dataset" / "label_space.json"
# The weight for models that carry none (the app's check box): the one chosen on the dev split for the default model
# (``python -m loco label-prior``); validation, made of the training exemplars, would always prefer 0.
DEFAULT_WEIGHT = 0.25
VISUAL_DIM, AUDIO_DIM = 1280, 1024  # the fast profile: MobileNetV2 pooled features, YAMNet embeddings
NUM_IMAGENET = 1000


class LabelPriorError(ValueError):
    """The label-space file is unusable, or the features are not the ones the encoders' heads read."""


@dataclass(frozen=True)
class EncoderHeads:
    """The two pretrained classifiers, as (weight [K, D], bias [K]) float32 arrays."""

    audioset_names: list[str]
    audio_weight: np.ndarray
    audio_bias: np.ndarray
    visual_weight: np.ndarray
    visual_bias: np.ndarray


@functools.lru_cache(maxsize=1)
def encoder_heads() -> EncoderHeads:
    """YAMNet's classifier from its ONNX graph (weights quantised as the graph does at run time) and MobileNetV2's
    from torchvision's weights, both from the converted files the feature extractor uses."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import load_file

    from loco.features.mobilenet import weights_path as mobilenet_weights_path
    from loco.features.yamnet import metadata as yamnet_metadata, model_path as yamnet_model_path

    graph = onnx.load(str(yamnet_model_path())).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer if i.name.startswith("model.classifier.")}
    weight, scale = arrays["model.classifier.weight"].astype(np.float32), arrays["model.classifier.weight_scale"]
    zero = arrays["model.classifier.weight_zero_point"]
    limits = np.iinfo(zero.dtype)
    quantised = np.clip(np.rint(weight / scale) + zero.astype(np.float32), limits.min, limits.max)
    mobilenet = load_file(str(mobilenet_weights_path()))
    return EncoderHeads(
        audioset_names=yamnet_metadata()["class_names"],
        audio_weight=((quantised - zero.astype(np.float32)) * scale).astype(np.float32),
        audio_bias=arrays["model.classifier.bias"].astype(np.float32),
        visual_weight=mobilenet["classifier.1.weight"].astype(np.float32),
        visual_bias=mobilenet["classifier.1.bias"].astype(np.float32),
    )


@dataclass(frozen=True)
class StepEvidence:
    """Per-step evidence of each class in each stream ([T, C]); ``*_mapped`` [C] says which classes a stream knows."""

    audio: np.ndarray
    visual: np.ndarray
    audio_mapped: np.ndarray
    visual_mapped: np.ndarray

    def segment_prior(self, segments: np.ndarray) -> np.ndarray:
        """Prior [N, C] in [0, 1] of ``segments`` [N, 2] (start, end in steps; the steps whose index lies inside
        count, or the nearest step for a segment between two)."""
        num_steps = len(self.audio)
        segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
        first = np.clip(np.ceil(segments[:, 0]), 0, num_steps - 1).astype(np.int64)
        last = np.clip(np.floor(segments[:, 1]), 0, num_steps - 1).astype(np.int64)
        nearest = np.clip(np.rint(segments.mean(1)), 0, num_steps - 1).astype(np.int64)
        empty = last < first
        first, last = np.where(empty, nearest, first), np.where(empty, nearest, last)
        prior = np.ones((len(segments), self.audio.shape[1]))
        for evidence, mapped in ((self.audio, self.audio_mapped), (self.visual, self.visual_mapped)):
            if not mapped.any():
                continue
            sums = np.vstack([np.zeros((1, evidence.shape[1])), np.cumsum(evidence, axis=0)])
            mean = (sums[last + 1] - sums[first]) / (last - first + 1)[:, None]
            relative = mean / np.maximum(mean[:, mapped].max(axis=1, keepdims=True), 1e-12)
            prior[:, mapped] *= relative[:, mapped]
        streams = self.audio_mapped.astype(np.int64) + self.visual_mapped.astype(np.int64)
        return np.where(streams > 0, prior ** (1.0 / np.maximum(streams, 1)), 1.0)


class LabelPrior:
    """The label-space evidence of a model's classes (those missing from the label-space file stay neutral)."""

    def __init__(self, class_names: list[str], label_space: Path | str = LABEL_SPACE_FILE):
        try:
            spec = json.loads(Path(label_space).read_text(encoding="utf-8"))["classes"]
        except (OSError, ValueError, KeyError) as err:
            raise LabelPriorError(f"label-space file {Path(label_space).name} is unusable: {err}") from err
        heads = encoder_heads()
        index_of = {name: i for i, name in enumerate(heads.audioset_names)}
        self.heads = heads
        self.audio_labels: list[list[int]] = []  # per class, its AudioSet label indices
        self.visual_map = np.zeros((NUM_IMAGENET, len(class_names)), np.float32)
        for column, name in enumerate(class_names):
            entry = spec.get(name, {})
            unknown = [label for label in entry.get("audioset", []) if label not in index_of]
            if unknown:
                raise LabelPriorError(f"{name!r}: {unknown} are not AudioSet classes YAMNet knows")
            self.audio_labels.append([index_of[label] for label in entry.get("audioset", [])])
            for index, _ in entry.get("imagenet", []):
                if not 0 <= int(index) < NUM_IMAGENET:
                    raise LabelPriorError(f"{name!r}: ImageNet index {index} is out of range")
                self.visual_map[int(index), column] = 1.0

    def evidence(self, visual: np.ndarray, audio: np.ndarray) -> StepEvidence:
        """Evidence from one video's ``fast`` features: visual [T, 1280], audio [T, 1024]."""
        if visual.shape[-1] != VISUAL_DIM or audio.shape[-1] != AUDIO_DIM:
            raise LabelPriorError(f"the label prior reads fast-profile features ({VISUAL_DIM}/{AUDIO_DIM}-d), "
                                  f"got {visual.shape[-1]}/{audio.shape[-1]}-d")
        steps = min(len(visual), len(audio))
        heads = self.heads
        audio_logits = audio[:steps].astype(np.float32) @ heads.audio_weight.T + heads.audio_bias
        audio_scores = 1.0 / (1.0 + np.exp(-np.clip(audio_logits, -60.0, 60.0)))
        visual_logits = visual[:steps].astype(np.float32) @ heads.visual_weight.T + heads.visual_bias
        visual_scores = np.exp(visual_logits - visual_logits.max(axis=1, keepdims=True))
        visual_scores /= visual_scores.sum(axis=1, keepdims=True)
        # a class's audio evidence is its best AudioSet label (sigmoid scores are independent); visual is the summed
        # probability of its ImageNet labels (softmax scores share one unit of mass)
        audio_evidence = np.zeros((steps, len(self.audio_labels)), np.float32)
        for column, labels in enumerate(self.audio_labels):
            if labels:
                audio_evidence[:, column] = audio_scores[:, labels].max(axis=1)
        return StepEvidence(
            audio=audio_evidence,
            visual=visual_scores @ self.visual_map,
            audio_mapped=np.array([bool(labels) for labels in self.audio_labels]),
            visual_mapped=self.visual_map.any(axis=0),
        )
