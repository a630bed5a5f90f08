"""Model checkpoints: ONE safetensors file holding the weights and a JSON header (config, class names, feature profile,
time grid, free metadata, metrics). Written atomically; read with safetensors only (no pickle anywhere).

A loaded model also says which classes it scores and how (:meth:`LoadedModel.class_scoring`), and an open-vocabulary
model can score more classes than its checkpoint names (:meth:`LoadedModel.with_classes`): its head scores any
class by its labels in the label space (docs/model.md, "The open-vocabulary head").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.torch
import torch

from loco.config import Config
from loco.grid import FeatureGrid
from loco.io import atomic_write
from loco.label_space import STREAM_TITLES, ClassLabels
from loco.model import LoCo, build_model
from loco.model.voice_pitch import VOICE_REGISTERS

FORMAT_NAME = "loco-checkpoint"
FORMAT_VERSION = 1
_HEADER_KEY = "loco"


class CheckpointError(ValueError):
    """A file that is not a readable LoCo checkpoint."""


class FeatureMismatchError(ValueError):
    """Features that do not fit the checkpoint's model (dims or feature profile)."""


TRAINED = "trained on examples"
LABEL_SPACE_ONLY = "by label space only"
NOT_SCORED = "not scored"


@dataclass(frozen=True)
class ClassScoring:
    """How a model scores one class: ``how`` is :data:`TRAINED`, :data:`LABEL_SPACE_ONLY` or :data:`NOT_SCORED`;
    ``why`` says on what (its examples, the streams that hear or see it) or why not."""

    name: str
    how: str
    why: str


@dataclass
class LoadedModel:
    """A checkpoint's model with its header. ``class_names`` are the checkpoint's classes, then those
    :meth:`with_classes` added; ``label_space`` is the one the classes are scored with (None: the shipped file with
    the project's entries over it)."""

    model: LoCo
    config: Config
    class_names: list[str]
    profile: str
    grid: FeatureGrid
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    label_space: Mapping[str, ClassLabels] | None = None

    @property
    def open_vocabulary(self) -> bool:
        return self.config.model.open_vocabulary.enabled

    def trained_classes(self) -> dict[str, bool]:
        """Each checkpoint class: whether its score has terms learnt from its own training examples (every class of
        a closed-set model; an open-vocabulary model's classes that had examples, when it keeps class terms)."""
        own = self.class_names[: self.config.model.num_classes]
        head = self.model.open_vocabulary
        if head is None:
            return dict.fromkeys(own, True)
        with_terms = self.config.model.open_vocabulary.class_terms
        return {name: with_terms and trained for name, trained in zip(own, head.trained.tolist())}

    def untrained_mask(self) -> np.ndarray:
        """[K] bool over :attr:`class_names`: the classes scored without terms learnt from their own examples (those
        :meth:`with_classes` added, and an open-vocabulary model's own classes that had none)."""
        trained = self.trained_classes()
        return np.array([not trained.get(name, False) for name in self.class_names], dtype=bool)

    def class_scoring(self, names: Iterable[str], label_space: Mapping[str, ClassLabels]) -> list[ClassScoring]:
        """How this model scores each of ``names``: trained on its examples; by its labels alone (an
        open-vocabulary model, for a class with labels its profile's streams perceive); or not at all, and why."""
        trained = self.trained_classes()
        # named on the trained classes' detections by AudioSet alone (loco/model/naming.py), a class needs its label
        on_detections = self.config.postprocess.untrained_naming == "detections"
        audio_named = on_detections and self.config.postprocess.naming_streams == "audio"
        weighs_pitch = self.config.postprocess.voice_pitch_width > 0  # loco/model/voice_pitch.py
        out = []
        for name in names:
            labels = label_space.get(name)
            streams = labels.perceived_on(self.profile) if labels is not None else ()
            heard = f"its labels in {', '.join(STREAM_TITLES[s] for s in streams)}" if streams else ""
            register = VOICE_REGISTERS.get(name, 0) if weighs_pitch else 0
            pitch = f", weighed by the voice's pitch (a {'high' if register > 0 else 'low'} voice)" if register else ""
            if trained.get(name):
                why = f"its training examples{' and ' + heard if heard and self.open_vocabulary else ''}{pitch}"
                out.append(ClassScoring(name, TRAINED, why))
            elif not self.open_vocabulary:
                out.append(ClassScoring(name, NOT_SCORED, f"a closed-set model names only the {len(trained)} "
                                                          "classes it was trained on"))
            elif streams and audio_named and "audioset" not in streams:
                why = labels.reason("audioset") or "no label"
                out.append(ClassScoring(name, NOT_SCORED, "no training example, and no AudioSet label, by which this "
                                                          f"model names such classes ({why})"))
            elif streams:
                untrained = " (no training example)" if name in trained else ""
                where = ", on the spans where it detects a trained class" if on_detections else ""
                out.append(ClassScoring(name, LABEL_SPACE_ONLY, heard + where + untrained + pitch))
            elif labels is None:
                out.append(ClassScoring(name, NOT_SCORED, "no training example, and the label space has no entry "
                                                          "for it"))
            else:
                why = labels.unperceived_reason(self.profile)
                out.append(ClassScoring(name, NOT_SCORED, f"no training example, and no stream of the {self.profile} "
                                                          f"profile perceives it ({why})"))
        return out

    def with_classes(self, names: Iterable[str], label_space: Mapping[str, ClassLabels]) -> "LoadedModel":
        """The same model scoring, after its own classes, each of ``names`` it lacks that it can score by its labels in
        ``label_space`` (:meth:`class_scoring`); a class no stream perceives is left out. The open-vocabulary head
        scores any number of classes; a closed-set model keeps its own (it reads ``label_space`` for its label
        prior only)."""
        names = [name for name in dict.fromkeys(names) if name not in self.class_names]
        added = [s.name for s in self.class_scoring(names, label_space) if s.how == LABEL_SPACE_ONLY]
        return replace(self, class_names=self.class_names + added, label_space=dict(label_space))

    def check_features(self, visual_dim: int, audio_dim: int, profile: str | None = None) -> None:
        """Raise :class:`FeatureMismatchError` unless the features were made the way the model was trained."""
        expected = (self.config.model.visual_dim, self.config.model.audio_dim)
        if (visual_dim, audio_dim) != expected:
            raise FeatureMismatchError(
                f"features have visual/audio dims {visual_dim}/{audio_dim} but the model expects "
                f"{expected[0]}/{expected[1]} (feature profile {self.profile!r}); re-extract with that profile"
            )
        if profile is not None and profile != self.profile:
            raise FeatureMismatchError(
                f"features were extracted with profile {profile!r} but the model was trained on {self.profile!r}; "
                f"re-extract with profile {self.profile!r}"
            )

    def with_open_vocabulary(self, **changes: Any) -> "LoadedModel":
        """The same open-vocabulary model with fields of its head's config changed (``OpenVocabularyConfig``), its
        weights kept."""
        if not self.open_vocabulary:
            raise ValueError("only an open-vocabulary model has an open-vocabulary head to change")
        head = replace(self.config.model.open_vocabulary, **changes)
        model_config = replace(self.config.model, open_vocabulary=head)
        model = build_model(model_config).to(next(self.model.parameters()).device)
        model.load_state_dict(self.model.state_dict())
        return replace(self, model=model.train(self.model.training), config=replace(self.config, model=model_config))

    def with_calibration(self, trained: Iterable[float], untrained: Iterable[float]) -> "LoadedModel":
        """The same open-vocabulary model with its logits mapped by ``(scale, shift)``, one pair for the classes
        with training examples and one for those without (``loco.calibration``)."""
        return self.with_open_vocabulary(trained_calibration=[float(v) for v in trained],
                                         untrained_calibration=[float(v) for v in untrained])

    def with_label_prior(self, weight: float) -> "LoadedModel":
        """The same model decoding with the encoders' label-space prior at ``weight`` (0 = off; loco/label_prior.py),
        which reads the fast profile's features only."""
        if weight > 0 and self.profile != "fast":
            raise FeatureMismatchError(f"the label prior reads fast-profile features; this model uses {self.profile!r}")
        return self.with_postprocess(label_prior_weight=float(weight))

    def with_postprocess(self, **changes: Any) -> "LoadedModel":
        """The same model decoding with fields of its ``postprocess`` config changed (checked as the config is)."""
        return replace(self, config=replace(self.config, postprocess=replace(self.config.postprocess, **changes)))


def save_checkpoint(
    path: str | Path,
    model: LoCo,
    config: Config,
    class_names: list[str],
    profile: str,
    grid: FeatureGrid,
    metadata: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write weights + header to ``path`` atomically (a crash never leaves a half-written checkpoint)."""
    if len(class_names) != config.model.num_classes:
        raise ValueError(f"{len(class_names)} class names for a model with {config.model.num_classes} classes")
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "config": config.to_dict(),
        "class_names": list(class_names),
        "profile": profile,
        "grid": grid.to_dict(),
        "metadata": metadata or {},
        "metrics": metrics or {},
    }
    tensors = {name: tensor.detach().to("cpu").contiguous() for name, tensor in model.state_dict().items()}
    payload = safetensors.torch.save(tensors, metadata={_HEADER_KEY: json.dumps(header, sort_keys=True)})
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(payload)
    return path


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header alone (cheap: the weights are not read)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    try:
        with safetensors.safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(_HEADER_KEY)
    except Exception as error:  # safetensors raises its own error types for non-safetensors bytes
        raise CheckpointError(f"{path.name} is not a safetensors checkpoint: {error}") from None
    if raw is None:
        raise CheckpointError(f"{path.name} is a safetensors file without a LoCo header")
    header = json.loads(raw)
    if header.get("format") != FORMAT_NAME or header.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name}: unsupported checkpoint format {header.get('format')!r} v{header.get('version')}")
    return header


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model from the header's config and load the weights (eval mode)."""
    header = read_header(path)
    config = Config.from_dict(header["config"])
    model = build_model(config.model)
    tensors = safetensors.torch.load_file(str(path), device=str(device))
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{Path(path).name}: weights do not match the config: {error}") from None
    model.to(device).eval()
    return LoadedModel(
        model=model,
        config=config,
        class_names=list(header["class_names"]),
        profile=header["profile"],
        grid=FeatureGrid.from_dict(header["grid"]),
        metadata=header.get("metadata", {}),
        metrics=header.get("metrics", {}),
    )
