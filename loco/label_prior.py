"""Naming help from the encoders' own label spaces: an optional re-scoring of detections, our addition (not LoCo's).

A detector trained on one to four exemplars per class names new exemplars badly (a tiger after training on a lion;
``experiments/exemplar_gap.py``), but the pretrained encoders already know many of the classes: YAMNet's AudioSet head
scores "Roaring cats (lions, tigers)", MobileNetV2's ImageNet head scores "tiger". The label space
(:mod:`loco.label_space`) says which of their labels each class is. Both heads are linear layers on exactly the
embeddings the ``fast`` profile stores (I3D's Kinetics head likewise on the ``i3d`` profile's), so their scores come
from the feature files without running any encoder again. For classes whose label space reads the face cue (people
classes), the visual evidence is the larger of their ImageNet evidence and the face cue's probability.

For a candidate segment, each stream's evidence for a class is its head's score averaged over the segment's steps
(AudioSet: the best of the class's labels, sigmoid; ImageNet: the summed softmax of its labels), divided by the best
class's evidence in that stream; the prior of a class is the geometric mean over the streams that map it (1 where
neither does). Decoding multiplies the detector's class probability ``p`` by the prior: ``p^(1-w) * prior^w``
(``postprocess.label_prior_weight`` = w; 0 leaves decoding as LoCo specifies it).

The same per-step evidence feeds the open-vocabulary head (:mod:`loco.model.open_vocabulary`, :func:`batch_evidence`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from safetensors.numpy import load_file

from loco.label_space import VISUAL_STREAM, ClassLabels, LabelSpaceError, labels_for, load_label_space
from loco.model.open_vocabulary import ClassEvidence
from loco.model.voice_pitch import voice_registers

# The weight for models that carry none (the app's check box): the one chosen on the dev split for the default model
# (``python -m loco label-prior``); validation, made of the training exemplars, would always prefer 0.
DEFAULT_WEIGHT = 0.25
AUDIO_DIM = 1024  # YAMNet embeddings (both profiles)
VISUAL_DIMS = {"fast": 1280, "i3d": 1024}  # MobileNetV2 pooled features; I3D's Mixed_5c mean


class LabelPriorError(ValueError):
    """The features are not the ones the encoders' heads read."""


@dataclass(frozen=True)
class EncoderHeads:
    """The two pretrained classifiers, as (weight [K, D], bias [K]) float32 arrays."""

    audioset_names: list[str]
    audio_weight: np.ndarray
    audio_bias: np.ndarray
    visual_weight: np.ndarray  # MobileNetV2's ImageNet classifier
    visual_bias: np.ndarray

    def visual_head(self, profile: str) -> tuple[np.ndarray, np.ndarray]:
        """The visual classifier of ``profile``'s features: ImageNet (fast) or I3D's Kinetics-400 (i3d)."""
        if profile == "fast":
            return self.visual_weight, self.visual_bias
        return kinetics_classifier()


@functools.lru_cache(maxsize=1)
def encoder_heads() -> EncoderHeads:
    """YAMNet's classifier from its ONNX graph (weights quantised as the graph does at run time) and MobileNetV2's
    from torchvision's weights, both from the converted files the feature extractor uses."""
    # late: the encoder modules load onnxruntime and torchaudio, which decoding without the prior never needs
    from loco.features import mobilenet, yamnet

    graph = onnx.load(str(yamnet.model_path())).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer if i.name.startswith("model.classifier.")}
    weight, scale = arrays["model.classifier.weight"].astype(np.float32), arrays["model.classifier.weight_scale"]
    zero = arrays["model.classifier.weight_zero_point"]
    limits = np.iinfo(zero.dtype)
    quantised = np.clip(np.rint(weight / scale) + zero.astype(np.float32), limits.min, limits.max)
    mobilenet = load_file(str(mobilenet.weights_path()))
    return EncoderHeads(
        audioset_names=yamnet.metadata()["class_names"],
        audio_weight=((quantised - zero.astype(np.float32)) * scale).astype(np.float32),
        audio_bias=arrays["model.classifier.bias"].astype(np.float32),
        visual_weight=mobilenet["classifier.1.weight"].astype(np.float32),
        visual_bias=mobilenet["classifier.1.bias"].astype(np.float32),
    )


@functools.lru_cache(maxsize=1)
def kinetics_classifier() -> tuple[np.ndarray, np.ndarray]:
    # late: the I3D module loads its weights file, which fast-profile decoding never needs
    from loco.features.i3d import kinetics_head

    return kinetics_head()


@dataclass(frozen=True)
class StepEvidence:
    """Per-step evidence of each class in each stream ([T, C]); ``*_mapped`` [C] says which classes a stream knows.
    ``pitch`` [T, 2] is the voice-pitch cue where the features carry it (:mod:`loco.features.pitch`), read at
    decoding for the classes of ``voice_registers`` [C] (:mod:`loco.model.voice_pitch`)."""

    audio: np.ndarray
    visual: np.ndarray
    audio_mapped: np.ndarray
    visual_mapped: np.ndarray
    voice_registers: np.ndarray | None = None  # [C] -1 low, +1 high, 0 none; None: no class has one
    pitch: np.ndarray | None = None

    @property
    def has_voice_pitch(self) -> bool:
        """Whether the decoding can weigh this video's detections by the voice pitch."""
        return self.pitch is not None and self.voice_registers is not None

    def segment_means(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each stream's evidence [N, C] averaged over ``segments`` [N, 2] (start, end in steps; the steps whose
        index lies inside count, or the nearest step for a segment between two): (audio, visual)."""
        num_steps = len(self.audio)
        segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
        first = np.clip(np.ceil(segments[:, 0]), 0, num_steps - 1).astype(np.int64)
        last = np.clip(np.floor(segments[:, 1]), 0, num_steps - 1).astype(np.int64)
        nearest = np.clip(np.rint(segments.mean(1)), 0, num_steps - 1).astype(np.int64)
        empty = last < first
        first, last = np.where(empty, nearest, first), np.where(empty, nearest, last)

        def mean(evidence: np.ndarray) -> np.ndarray:
            sums = np.vstack([np.zeros((1, evidence.shape[1])), np.cumsum(evidence, axis=0)])
            return (sums[last + 1] - sums[first]) / (last - first + 1)[:, None]

        return mean(self.audio), mean(self.visual)

    def segment_prior(self, segments: np.ndarray) -> np.ndarray:
        """Prior [N, C] in [0, 1] of ``segments`` [N, 2] (steps, as :meth:`segment_means`): per stream, a class's
        mean evidence relative to the best class's, the geometric mean over the streams that map it."""
        relative = []
        for mean, mapped in zip(self.segment_means(segments), (self.audio_mapped, self.visual_mapped)):
            best = mean[:, mapped].max(axis=1, keepdims=True) if mapped.any() else np.ones((len(mean), 1))
            relative.append(mean / np.maximum(best, 1e-12))
        return self.mapped_geometric_mean(*relative, unmapped=1.0)

    def mapped_geometric_mean(self, audio: np.ndarray, visual: np.ndarray, unmapped: float) -> np.ndarray:
        """[N, C]: per class, the geometric mean of its values in the streams that map it (``audio`` and ``visual``
        [N, C]); ``unmapped`` where neither does."""
        product = np.where(self.audio_mapped, audio, 1.0) * np.where(self.visual_mapped, visual, 1.0)
        streams = self.audio_mapped.astype(np.int64) + self.visual_mapped.astype(np.int64)
        return np.where(streams > 0, product ** (1.0 / np.maximum(streams, 1)), unmapped)


class LabelPrior:
    """The label-space evidence of a model's classes (a class the label space lacks stays neutral) on ``profile``'s
    features. ``label_space`` defaults to the shipped file with the project's entries over it."""

    def __init__(self, class_names: list[str], profile: str = "fast",
                 label_space: Mapping[str, ClassLabels] | None = None):
        if profile not in VISUAL_DIMS:
            raise LabelPriorError(f"the label prior reads {' or '.join(VISUAL_DIMS)} features, not {profile!r}")
        try:
            classes = labels_for(list(class_names), label_space if label_space is not None else load_label_space())
        except LabelSpaceError as err:
            raise LabelPriorError(str(err)) from err
        self.profile = profile
        self.heads = encoder_heads()
        self.visual_weight, self.visual_bias = self.heads.visual_head(profile)
        self.audio_labels: list[list[int]] = [list(c.audioset) for c in classes]  # per class, its AudioSet indices
        self.visual_map = np.zeros((self.visual_weight.shape[0], len(classes)), np.float32)
        for column, labels in enumerate(classes):
            self.visual_map[list(labels.indices(VISUAL_STREAM[profile])), column] = 1.0
        self.face_classes = np.array([c.faces for c in classes], dtype=bool)
        self.voice_registers = voice_registers(class_names)

    def evidence(self, visual: np.ndarray, audio: np.ndarray,
                 cues: Mapping[str, np.ndarray] | None = None) -> StepEvidence:
        """Evidence from one video's features: visual [T, 1280] (fast) or [T, 1024] (i3d), audio [T, 1024], and the
        extra streams [T, d] the features have (without the face cue it counts as absent, not as evidence)."""
        cues = cues or {}
        if visual.shape[-1] != VISUAL_DIMS[self.profile] or audio.shape[-1] != AUDIO_DIM:
            raise LabelPriorError(f"the label prior reads {self.profile}-profile features "
                                  f"({VISUAL_DIMS[self.profile]}/{AUDIO_DIM}-d), got {visual.shape[-1]}/"
                                  f"{audio.shape[-1]}-d")
        steps = min(len(visual), len(audio))
        heads = self.heads
        audio_logits = audio[:steps].astype(np.float32) @ heads.audio_weight.T + heads.audio_bias
        audio_scores = 1.0 / (1.0 + np.exp(-np.clip(audio_logits, -60.0, 60.0)))
        visual_logits = visual[:steps].astype(np.float32) @ self.visual_weight.T + self.visual_bias
        visual_scores = np.exp(visual_logits - visual_logits.max(axis=1, keepdims=True))
        visual_scores /= visual_scores.sum(axis=1, keepdims=True)
        # a class's audio evidence is its best AudioSet label (sigmoid scores are independent); visual is the summed
        # probability of its ImageNet / Kinetics labels (softmax scores share one unit of mass)
        audio_evidence = np.zeros((steps, len(self.audio_labels)), np.float32)
        for column, labels in enumerate(self.audio_labels):
            if labels:
                audio_evidence[:, column] = audio_scores[:, labels].max(axis=1)
        visual_evidence = visual_scores @ self.visual_map
        visual_mapped = self.visual_map.any(axis=0)
        if "faces" in cues:
            face = np.asarray(cues["faces"], dtype=np.float32)[:steps, :1]
            visual_evidence = np.where(self.face_classes, np.maximum(visual_evidence, face), visual_evidence)
            visual_mapped = visual_mapped | self.face_classes
        return StepEvidence(
            audio=audio_evidence,
            visual=visual_evidence,
            audio_mapped=np.array([bool(labels) for labels in self.audio_labels]),
            visual_mapped=visual_mapped,
            voice_registers=self.voice_registers,
            pitch=np.asarray(cues["voice_pitch"], dtype=np.float32)[:steps] if "voice_pitch" in cues else None,
        )


def video_evidence(prior: LabelPrior, visual: torch.Tensor, audio: torch.Tensor, num_steps: list[int],
                   cues: Mapping[str, torch.Tensor] | None = None) -> list[StepEvidence]:
    """Each video's :class:`StepEvidence` from its own valid steps of a padded batch (visual [B, C_v, T], audio
    [B, C_a, T], the extra streams [B, d, T] by name)."""
    cues = cues or {}
    return [prior.evidence(visual[index, :, :steps].T.cpu().numpy(), audio[index, :, :steps].T.cpu().numpy(),
                           {name: cue[index, :, :steps].T.cpu().numpy() for name, cue in cues.items()})
            for index, steps in enumerate(num_steps)]


def stacked_evidence(videos: list[StepEvidence], length: int, device: torch.device | str) -> ClassEvidence:
    """The open-vocabulary head's input: the videos' evidence padded to ``length`` steps (zero on padding). A stream
    counts as mapped for a class when it is for any video of the batch (the face cue is mapped only where the
    features carry it)."""
    num_classes = videos[0].audio.shape[1]
    scores = torch.zeros(len(videos), 2, num_classes, length)
    mapped = torch.zeros(2, num_classes, dtype=torch.bool)
    for index, found in enumerate(videos):
        steps = len(found.audio)
        scores[index, 0, :, :steps] = torch.from_numpy(found.audio.T)
        scores[index, 1, :, :steps] = torch.from_numpy(found.visual.T)
        mapped |= torch.from_numpy(np.stack([found.audio_mapped, found.visual_mapped]))
    return ClassEvidence(scores.to(device), mapped.to(device))


def batch_evidence(prior: LabelPrior, visual: torch.Tensor, audio: torch.Tensor, num_steps: list[int],
                   cues: Mapping[str, torch.Tensor] | None = None) -> ClassEvidence:
    """:func:`stacked_evidence` of :func:`video_evidence`: the open-vocabulary head's input for a padded batch."""
    return stacked_evidence(video_evidence(prior, visual, audio, num_steps, cues), visual.shape[-1], visual.device)
