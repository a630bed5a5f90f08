"""Configuration dataclasses and their YAML files (``configs/*.yaml``), with ``key.sub=value`` overrides.

Numbers that are our choice rather than the paper's live here as defaults, so every ablation is one switch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import yaml


@dataclass
class LCCConfig:
    """Locality-aware Correspondence Correction (docs/model.md §3)."""

    enabled: bool = True
    band: int = 2  # w: half-width of the local band, in steps
    coherence_temperature: float = 0.1  # tau_c
    loss_temperature: float = 0.1  # tau of the InfoNCE loss
    loss_weight: float = 0.1  # lambda
    gate_alpha_init: float = 5.0
    gate_beta_init: float = -2.5
    cross_aggregate: bool = False  # variant: also add g * W_o * (banded attention over the other modality)
    # Ours, not the paper's: the loss's negatives also include every step of the batch's other videos. Within one
    # video the shared absolute position code alone solves the objective; other videos' steps at the same positions
    # can only be told apart by their content.
    cross_video_negatives: bool = False
    # Ours, not the paper's: compare the streams' embeddings (before the position code is added) instead of the
    # encoders' outputs, so the correspondence can only come from content; the gates still scale the outputs.
    position_free: bool = False
    # Ours, not the paper's: weight of a supervised term that scores each step's gate logits (alpha x + beta, x the
    # gate's input below; both streams) by binary cross-entropy against "the step is inside an annotated event" (any
    # class), so the gates open where picture and sound are one event and stay shut on a sound without its picture.
    # 0 = off (label-free LCC).
    event_gate_weight: float = 0.0
    # Ours, not the paper's: what the gates read. "coherence" (docs/model.md §3) is relative, a step's affinity share
    # inside its band; "agreement" is absolute, the cosine S[t, t] of the same step's two streams, which a sound over
    # a picture without its object can fail.
    gate_input: Literal["coherence", "agreement"] = "coherence"


@dataclass
class CDPConfig:
    """Cross-modal Dynamic Perception (docs/model.md §4)."""

    mode: Literal["dense", "fixed", "adaptive"] = "adaptive"
    levels: list[int] | None = None  # pyramid levels using CDP; None = all
    max_extent: float = 16.0  # r_max, tokens
    init_extent: float = 4.0  # initial delta
    fixed_extent: float = 4.0  # w of the fixed mode
    kappa: float = 1.0  # softness of the window edges, tokens
    band_margin: float = 6.0  # keys beyond ceil(extent + band_margin * kappa) tokens are ignored (our choice)


@dataclass
class OpenVocabularyConfig:
    """The open-vocabulary head (ours, not LoCo's; docs/model.md §7): every class with labels in the label space
    (``assets/taxonomy/label_space.json``) is scored, with or without training examples. A candidate's class logit is
    ``a * h + b * logit(q_c) + c``, ``h`` a learned class-agnostic "heard and seen" logit, ``q_c`` the product over
    the audio and visual streams of the class's evidence in the encoders' label spaces (``e^w_s``, or
    ``missing_stream_evidence^w_s`` where a stream has no label for the class), and the closed-set head's logit of the
    class added where the class had training examples (``class_terms``), or, with ``closed_logits_alone``, put in the
    open logit's place: the classes with examples are then scored exactly as the closed-set head scores them and the
    open branch names only the others. The calibration (a, b, c, w_s and the missing streams' evidence) is shared by
    all classes. Classes without examples regress with the point's most confident trained class."""

    enabled: bool = False
    class_terms: bool = True
    closed_logits_alone: bool = False
    # keep the calibration at its initial values (with agnostic_weight_init = 0: label spaces only, training-free)
    fixed_calibration: bool = False
    agnostic_weight_init: float = 1.0  # a
    evidence_weight_init: float = 1.0  # b
    missing_stream_evidence: float = 0.5  # the evidence assumed in a stream that has no label for the class
    evidence_floor: float = 1e-4  # evidence is clamped to [floor, 1 - floor] before the logarithm
    # the open branch (the agnostic head and the calibration above) reads the fused features through a stop-gradient:
    # its losses train it alone, so the trunk and the closed-set head learn as a closed-set model of the same recipe
    # (with closed_logits_alone the classes with examples are then scored as that model scores them)
    detach_open_branch: bool = False
    # (scale, shift) of the final logits of the classes with training examples and of those without, fitted after
    # training on a held-out split (``python -m loco calibrate``): both kinds then estimate the same probability, so
    # they compare in one video's detections and against one threshold. (1, 0): as trained.
    trained_calibration: list[float] = field(default_factory=lambda: [1.0, 0.0])
    untrained_calibration: list[float] = field(default_factory=lambda: [1.0, 0.0])

    def __post_init__(self) -> None:
        for name in ("trained_calibration", "untrained_calibration"):
            scale_shift = getattr(self, name)
            if len(scale_shift) != 2 or not scale_shift[0] > 0:
                raise ValueError(f"model.open_vocabulary.{name} must be [scale, shift] with scale > 0 (an increasing "
                                 f"map keeps each class's ranking), got {scale_shift}")
        if self.closed_logits_alone and not self.class_terms:
            raise ValueError("model.open_vocabulary.closed_logits_alone needs class_terms: it says how the closed-set "
                             "logits of the classes with examples are used")
        if not 0.0 < self.missing_stream_evidence <= 1.0:
            raise ValueError(f"model.open_vocabulary.missing_stream_evidence must lie in (0, 1], got "
                             f"{self.missing_stream_evidence}")
        if not 0.0 < self.evidence_floor < 0.5:
            raise ValueError(f"model.open_vocabulary.evidence_floor must lie in (0, 0.5), got {self.evidence_floor}")


@dataclass
class ModelConfig:
    """Architecture of LoCo. ``compact`` (default, CPU) and ``unav`` (GPU, D=512, dependency block) are presets."""

    visual_dim: int = 1280
    audio_dim: int = 1024
    num_classes: int = 100
    embed_dim: int = 256  # D
    num_heads: int = 4
    encoder_layers: int = 2
    pyramid_levels: int = 6  # strides 1, 2, 4, ..., 32
    max_seq_len: int = 224
    drop_path: float = 0.1
    dropout: float = 0.0
    # Dropout on the input feature channels, in training only (ours, not LoCo's; 0 = off): a detector that sees few
    # exemplars per class can otherwise name them by a handful of channels that a new exemplar does not share.
    input_dropout: float = 0.0
    head_dim: int = 256  # width of the classification/regression trunks
    regression_ranges: list[list[float]] = field(
        default_factory=lambda: [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]
    )
    class_aware_regression: bool = True
    dependency_block: bool = False
    prior_prob: float = 0.01
    lcc: LCCConfig = field(default_factory=LCCConfig)
    cdp: CDPConfig = field(default_factory=CDPConfig)
    open_vocabulary: OpenVocabularyConfig = field(default_factory=OpenVocabularyConfig)


@dataclass
class PostprocessConfig:
    """Decoding and soft-NMS (docs/model.md §6)."""

    pre_nms_threshold: float = 0.001
    pre_nms_topk: int = 2000
    min_length_steps: float = 0.05
    nms_sigma: float = 0.4
    min_score: float = 0.001
    max_detections: int = 100
    # weight w of the encoders' label-space prior (loco/label_prior.py; ours, not LoCo's): class probabilities become
    # p^(1-w) * prior^w before thresholding; 0 = off
    label_prior_weight: float = 0.0
    # how an open-vocabulary model names the classes without training examples (ours, loco/model/naming.py):
    # "open_branch", by the open-vocabulary head's logits at every point; or "detections", training-free, on the
    # detections of its trained classes, a class's score there s * e^v (s the detection's score, e the class's
    # label-space evidence over its span in the ``naming_streams``, v = ``naming_exponent``): never above s
    untrained_naming: Literal["open_branch", "detections"] = "open_branch"
    naming_exponent: float = 1.0
    naming_streams: Literal["audio", "audio_visual"] = "audio"
    # how many classes without examples one detection can name (its best by evidence; 0 = all); the named classes
    # share a ``max_detections`` of their own per video, beside the trained classes'
    naming_per_detection: int = 0
    # the voice-pitch weighing of the speaking classes' detections (ours, loco/model/voice_pitch.py): the width in
    # octaves of the logistic around 165 Hz; 0 = off
    voice_pitch_width: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.label_prior_weight <= 1.0:
            raise ValueError(f"postprocess.label_prior_weight must lie in [0, 1], got {self.label_prior_weight}")
        if not self.naming_exponent >= 0.0:
            raise ValueError(f"postprocess.naming_exponent must be >= 0, got {self.naming_exponent}")
        if not self.voice_pitch_width >= 0.0:
            raise ValueError(f"postprocess.voice_pitch_width must be >= 0 (0 = off), got {self.voice_pitch_width}")
        if self.naming_per_detection < 0:
            raise ValueError(f"postprocess.naming_per_detection must be >= 0 (0 = all), got "
                             f"{self.naming_per_detection}")


@dataclass
class DataConfig:
    """Where a UnAV-format dataset lives and how its features are named (docs/model.md §1, docs/data.md)."""

    annotation_file: str = ""
    feature_dir: str = ""
    feature_format: Literal["loco", "unav", "one_peace"] = "loco"
    profile: str = "fast"  # feature profile name, recorded in checkpoints
    grid: str = "unav"
    train_split: str = "train"
    val_split: str = "validation"
    test_split: str = "test"
    crop_ratio: list[float] = field(default_factory=lambda: [0.9, 1.0])
    min_event_survival: float = 0.5


@dataclass
class TrainConfig:
    """Optimisation recipe (docs/model.md §8)."""

    epochs: int = 30
    warmup_epochs: int = 5
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    ema_warmup: bool = True  # decay ramps as min(decay, (1 + n) / (10 + n)) over the first updates
    seed: int = 1
    num_workers: int = 0
    # Pad every training batch to model.max_seq_len (ActionFormer's habit). Off: pad to the batch's longest video
    # (rounded to the coarsest stride), which gives the same outputs on valid steps and costs far less on short videos.
    pad_to_max_seq_len: bool = True
    eval_every: int = 1
    device: str = "auto"
    # Fine-tuning (ours): train the detection heads only, the encoders, LCC and the pyramid kept as they are (and run
    # in eval mode), which a few corrected videos cannot re-learn without forgetting
    freeze_trunk: bool = False
    # Ours: train the open-vocabulary branch alone over a trained start (--init): every other weight, the closed-set
    # head's included, stays the start's and computes in eval mode, so with model.open_vocabulary.closed_logits_alone
    # the classes with examples keep the start's scores exactly while the branch learns to name the others; validation
    # then scores the branch alone, every class as one without examples (loco.train.validated)
    open_branch_only: bool = False
    # Ours: extra focal-loss weight of a rejected proposal's class at the points inside its span (a hard negative;
    # those pairs already count once as background). 0 = rejected proposals are plain background.
    hard_negative_weight: float = 1.0
    # Ours: weight of a distillation term that keeps the starting model's class probabilities at the (point, class)
    # pairs the user said nothing about (no event, no rejected proposal of that class there). 0 = off.
    distill_weight: float = 0.0
    # Ours: with distillation on, those pairs of the starting model's classes learn from it alone; the detection loss
    # leaves them out instead of calling them background (a few corrected videos of one class would otherwise teach
    # every other class that nothing happens there)
    distill_only_where_silent: bool = False
    # Ours: keep the regression head as it is, but for the output rows of the classes the fine-tune adds (class-aware
    # regression; with class-agnostic regression the whole head is kept): the head every class shares, trained on a
    # few videos of one class, moves every other class's boundaries
    keep_start_regression: bool = False
    # Ours: train only the output rows (classification and regression) of the classes the training data says something
    # about (an event, a rejected proposal, or a class the fine-tune adds); every other weight stays the start's, so
    # the classes nobody corrected score exactly as before
    said_classes_only: bool = False


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        return _build(cls, data)

    def with_overrides(self, overrides: list[str]) -> "Config":
        """Apply ``section.key=value`` strings; values are parsed as YAML (``model.lcc.enabled=false``)."""
        data = self.to_dict()
        for item in overrides:
            if "=" not in item:
                raise ValueError(f"override {item!r} is not of the form key.path=value")
            key, raw = item.split("=", 1)
            node = data
            *parents, leaf = key.strip().split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    raise ValueError(f"unknown config section {part!r} in override {item!r}")
                node = node[part]
            if leaf not in node:
                raise ValueError(f"unknown config key {key!r} in override {item!r}")
            node[leaf] = _parse_value(raw)
        return Config.from_dict(data)


def _parse_value(raw: str) -> Any:
    """YAML scalar parsing, plus floats like ``3e-4`` that YAML 1.1 reads as strings."""
    value = yaml.safe_load(raw)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _build(cls, data: dict[str, Any]):
    """Build a (nested) dataclass from a dict, rejecting unknown keys with a clear message."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} expects a mapping, got {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    hints = get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        default = known[name].default_factory() if known[name].default_factory is not dataclasses.MISSING else None
        if get_origin(hints[name]) is Literal and value not in get_args(hints[name]):
            raise ValueError(f"{cls.__name__}.{name} must be one of {list(get_args(hints[name]))}, got {value!r}")
        kwargs[name] = _build(type(default), value) if dataclasses.is_dataclass(default) else value
    return cls(**kwargs)


CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def load_config(path_or_name: str | Path = "compact", overrides: list[str] | None = None) -> Config:
    """Load ``configs/<name>.yaml`` or a YAML file path, then apply overrides."""
    path = Path(path_or_name)
    if not path.suffix:
        path = CONFIG_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"config {str(path_or_name)!r} not found (looked at {path})")
    data = yaml.safe_load(path.read_text()) or {}
    return Config.from_dict(data).with_overrides(overrides or [])
