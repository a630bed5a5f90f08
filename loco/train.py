"""Training LoCo (docs/model.md §8): AdamW, warm-up + cosine, EMA weights, grad clipping, best-on-validation
checkpoint, exact resume, JSONL metrics, DDP under ``torchrun``.

Reproducibility rules that make resumed and distributed runs equal to a single uninterrupted run:
- the shuffling order of epoch ``e`` comes from ``DistributedSampler(seed, e)``, with one replica when not distributed;
  rank ``r`` takes every ``W``-th index, so the ``W`` local batches of a step form exactly the single-process batch;
- random crops depend only on ``(seed, epoch, video index)`` (see ``loco.data.unav``);
- the torch RNG (dropout, drop-path) is re-seeded at the start of every epoch from ``(seed, epoch, rank)``, so a run
  resumed at epoch ``e`` draws exactly what the uninterrupted run drew: the ``last`` state stores the seed and epoch it
  needs instead of opaque generator states;
- under DDP the positive count behind the loss normaliser is summed over ranks before it enters the model's EMA, and
  each rank's detection loss is scaled by the world size, so the averaged gradient equals the single-process one.

Fine-tuning (docs/model.md §8, "Fine-tuning on corrections"): starting weights with fewer classes than the data grow
to the data's classes (:func:`grown_state`: the start's classes first, their weights kept), ``train.freeze_trunk``
trains the heads alone, rejected proposals add a hard-negative term (:func:`hard_negative_loss`), and
``train.distill_weight`` keeps the starting model's scores wherever the user said nothing (:func:`distillation_loss`).
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.nn.functional as F
import yaml
from torch import nn
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from loco.checkpoint import LoadedModel, save_checkpoint
from loco.config import Config, TrainConfig
from loco.data.unav import Batch, VideoFeatureDataset, collate_videos
from loco.grid import FeatureGrid
from loco.infer import dataset_ground_truth, evaluate_checkpoint, label_prior_of, pad_multiple
from loco.io import atomic_write
from loco.label_prior import LabelPrior, batch_evidence
from loco.model import build_model
from loco.model.assignment import SegmentTargets, level_points
from loco.model.loco import LoCoOutput
from loco.model.losses import PositiveCountEMA, sigmoid_focal_loss
from loco.model.open_vocabulary import ClassEvidence

STATE_FILE = "last_state.pt"
BEST_CHECKPOINT = "best.safetensors"
METRICS_LOG = "metrics.jsonl"
SELECTION_METRIC = "avg"  # average mAP over tIoU 0.1..0.9 on the validation split
HEAD_MODULES = ("dependency", "cls_head", "reg_head", "open_vocabulary")  # what a frozen-trunk fine-tune trains
OPEN_BRANCH = ("open_vocabulary",)  # what ``train.open_branch_only`` trains


class TrainingError(ValueError):
    """A training set-up that cannot run (bad batch size for the world size, mismatched resume state, ...)."""


class TrainingInterrupted(RuntimeError):
    """Raised by a progress callback to stop training cleanly; the ``last`` state lets a later call resume."""


@dataclass
class TrainProgress:
    """What the app's progress bar needs: where we are, and the latest losses/metrics."""

    epoch: int  # 0-based epoch in progress (or just finished when ``epoch_done``)
    num_epochs: int
    step: int  # optimizer steps done in this epoch
    steps_per_epoch: int
    loss: float
    epoch_done: bool = False
    metrics: dict[str, float] | None = None

    @property
    def fraction(self) -> float:
        done = self.epoch + (1.0 if self.epoch_done else self.step / max(self.steps_per_epoch, 1))
        return min(done / max(self.num_epochs, 1), 1.0)


ProgressCallback = Callable[[TrainProgress], None]


@dataclass
class TrainResult:
    output_dir: Path
    best_checkpoint: Path | None
    best_metrics: dict[str, float]
    history: list[dict[str, Any]] = field(default_factory=list)
    epochs_completed: int = 0


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


# -------------------------------------------------------------------------------------------------------- set-up
def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def init_distributed(device: torch.device) -> DistributedContext:
    """Join the process group ``torchrun`` describes (WORLD_SIZE > 1): nccl on GPUs, gloo on CPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistributedContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def parameter_groups(model: nn.Module, weight_decay: float,
                     exempt: Sequence[nn.Parameter] = ()) -> list[dict[str, Any]]:
    """Decay only weight matrices/kernels: biases, norm gains and learnable scales (all 0-d or 1-d) are exempt, and
    so is ``exempt`` (tensors trained in part, whose kept rows decay would move)."""
    decay, no_decay = [], []
    exempt_ids = {id(param) for param in exempt}
    for param in model.parameters():
        if param.requires_grad:
            (no_decay if param.ndim <= 1 or id(param) in exempt_ids else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def warmup_cosine(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """Learning-rate factor: linear from ~0 to 1 over ``warmup_steps``, then cosine down to 0 at ``total_steps``."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def ema_update_fn(decay: float, warmup: bool) -> Callable[[list[torch.Tensor], list[torch.Tensor], Any], None]:
    """EMA step for ``AveragedModel``; with ``warmup`` the decay ramps as ``min(decay, (1 + n) / (10 + n))`` (the
    TensorFlow/timm schedule), so short runs are not dominated by the random initial weights."""

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: Any) -> None:
        n = int(num_averaged)
        step_decay = min(decay, (1.0 + n) / (10.0 + n)) if warmup else decay
        torch._foreach_lerp_(averaged, current, 1.0 - step_decay)

    return update


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch * 1_009 + rank) % (2**63)


def _sum_over_ranks(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook of the positive-count EMA: every rank feeds it the GLOBAL number of positives."""
    count = torch.as_tensor(args[0], dtype=torch.float32, device=module.value.device).clone()  # nccl: on the GPU
    dist.all_reduce(count)
    return (count, *args[1:])


def _positive_count_ema(model: nn.Module) -> nn.Module:
    found = [m for m in model.modules() if isinstance(m, PositiveCountEMA)]
    if len(found) != 1:
        raise TrainingError(f"expected one positive-count normaliser in the model, found {len(found)}")
    return found[0]


def new_rows_score_label_spaces(model: nn.Module) -> bool:
    """Whether a class a fine-tune adds starts with a zero classification row (:func:`grown_state`): with the
    open-vocabulary head summing the closed-set logit onto the open one, the class then scores exactly its label-space
    term. With ``closed_logits_alone`` its closed-set row is its whole score once it has examples, and a zero row would
    score it 0.5 at every point, so the row starts as a fresh one (at the prior probability) instead."""
    return model.open_vocabulary is not None and not model.cfg.open_vocabulary.closed_logits_alone


def grown_state(weights: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor], known: int,
                 label_space_rows: bool) -> dict[str, torch.Tensor]:
    """Starting weights of ``known`` classes grown to the class count of ``fresh`` (a new model's own state), whose
    first ``known`` classes are the start's, in its order: every tensor without a class axis, and the known classes'
    rows of those with one, are the start's, bit for bit. A new class's classification row starts at zero where
    ``label_space_rows`` (the open-vocabulary head: the class then scores exactly its label-space term, which the
    closed-set row refines from there) and from ``fresh`` otherwise; its regression rows start at the mean of the
    known classes' (a class-agnostic regressor); an open-vocabulary head has seen no example of it."""
    classes = int(fresh["cls_head.out.conv.bias"].shape[0])
    grown = {}
    for name, tensor in fresh.items():
        start = weights.get(name)
        if start is None or start.shape == tensor.shape:
            grown[name] = tensor if start is None else start
            continue
        rows = start.shape[0] // known
        if start.shape[0] != rows * known or tensor.shape != (rows * classes, *start.shape[1:]):
            grown[name] = start  # not a class axis: _load_initial_weights names the mismatch
            continue
        tensor = tensor.clone()
        tensor[: start.shape[0]] = start
        if name.startswith("reg_head."):
            mean = start.reshape(known, rows, *start.shape[1:]).mean(dim=0)
            tensor[start.shape[0]:] = mean.repeat(classes - known, *([1] * (start.ndim - 1)))
        elif (name.startswith("cls_head.") and label_space_rows) or name == "open_vocabulary.examples":
            tensor[start.shape[0]:] = 0
        grown[name] = tensor
    return grown


def freeze_trunk(model: nn.Module, trained: Sequence[str] = HEAD_MODULES) -> None:
    """Only the ``trained`` modules keep trainable parameters; autograd then never records the rest's graph."""
    for name, module in model.named_children():
        if name not in trained:
            module.requires_grad_(False)


def _train_rows(conv: nn.Conv1d, trained: torch.Tensor) -> None:
    """Let only the output rows of ``conv`` where ``trained`` [rows] is true learn (the gradient is masked)."""
    mask = trained.to(conv.weight.dtype)
    for param in (conv.weight, conv.bias):
        param.requires_grad_(True)
        shaped = mask.reshape(-1, *([1] * (param.ndim - 1)))
        param.register_hook(lambda grad, shaped=shaped: grad * shaped)


def keep_start_regression(model: nn.Module, known: int) -> list[nn.Parameter]:
    """Freeze the regression head but for the output rows of the classes after the start's ``known``, so the
    start's classes keep their boundaries bit for bit; with class-agnostic regression, or no class added, the whole
    head is frozen. Returns the tensors trained in part (weight decay must skip them)."""
    model.reg_head.requires_grad_(False)
    if not model.cfg.class_aware_regression or known >= model.cfg.num_classes:
        return []
    trained = torch.arange(model.cfg.num_classes) >= known
    _train_rows(model.reg_head.out.conv, trained.repeat_interleave(2))  # two offsets a class, class after class
    return [model.reg_head.out.conv.weight]


def train_said_classes_only(model: nn.Module, classes: set[int]) -> list[nn.Parameter]:
    """Freeze the whole model but the classification and (class-aware) regression output rows of ``classes``.
    Returns the tensors trained in part (weight decay must skip them)."""
    model.requires_grad_(False)
    trained = torch.zeros(model.cfg.num_classes, dtype=torch.bool)
    trained[sorted(classes)] = True
    _train_rows(model.cls_head.out.conv, trained)
    partly = [model.cls_head.out.conv.weight]
    if model.cfg.class_aware_regression:
        _train_rows(model.reg_head.out.conv, trained.repeat_interleave(2))
        partly.append(model.reg_head.out.conv.weight)
    return partly


def said_classes(train_set: VideoFeatureDataset, known: int) -> set[int]:
    """The classes the training videos say something about (an event or a rejected proposal), and those after the
    start's ``known`` (the ones a fine-tune adds)."""
    said = set(range(known, train_set.num_classes))
    for index in range(len(train_set)):
        sample = train_set.load_sample(index)
        said.update(int(k) for k in sample.labels.tolist() + sample.rejected_labels.tolist())
    return said


def _trunk_to_eval(model: nn.Module, trained: Sequence[str]) -> None:
    """A frozen trunk computes in eval mode (no drop-path, no LCC loss): the features the heads learn from are the
    ones they will see at inference."""
    for name, module in model.named_children():
        if name not in trained:
            module.eval()


def validated(model: LoadedModel, tc: TrainConfig) -> LoadedModel:
    """What validation scores: the model, or with ``train.open_branch_only`` its open branch alone, every class scored
    as one without examples would be (the classes of a validation split all have examples, and the branch does not
    change their scores: the model's own scores would pick its first epoch)."""
    if not tc.open_branch_only:
        return model
    branch = model.with_open_vocabulary(class_terms=False, closed_logits_alone=False)
    return branch.with_postprocess(untrained_naming="open_branch")  # the branch's logits, not the detections


def _teacher(config: Config, weights: dict[str, torch.Tensor], device: torch.device) -> nn.Module:
    """The starting model as it was (its own classes, eval mode, frozen): what :func:`distillation_loss` keeps."""
    known = _known_classes(weights)
    teacher = build_model(replace(config.model, num_classes=known)).to(device)
    teacher.load_state_dict(weights)
    return teacher.eval().requires_grad_(False)


def _known_classes(weights: dict[str, torch.Tensor]) -> int:
    return int(weights["cls_head.out.conv.bias"].shape[0])


def _load_initial_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Fine-tuning's starting point, grown to the model's classes when the data has more (:func:`grown_state`);
    weights of another shape (feature dims, architecture) are a clear set-up error, not a ``load_state_dict``
    traceback."""
    current = model.state_dict()
    known = int(weights["cls_head.out.conv.bias"].shape[0]) if "cls_head.out.conv.bias" in weights else 0
    if 0 < known < model.cfg.num_classes:
        weights = grown_state(weights, current, known, new_rows_score_label_spaces(model))
    mismatched = [name for name, tensor in weights.items() if name in current and current[name].shape != tensor.shape]
    missing, unexpected = sorted(set(current) - set(weights)), sorted(set(weights) - set(current))
    if mismatched or missing or unexpected:
        raise TrainingError(
            f"the starting weights do not fit this model ({len(mismatched)} tensors of another shape, e.g. "
            f"{(mismatched or missing or unexpected)[0]!r}; {len(missing)} missing, {len(unexpected)} unexpected): "
            "fine-tune with the starting model's feature dims and architecture, and every class it has"
        )
    model.load_state_dict(weights)


def _inside(positions: torch.Tensor, spans: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[P, C] bool: the (point, class) pairs whose point lies strictly inside one of ``spans`` [M, 2] (steps) of that
    class (``labels`` [M]), as a point lies inside a segment for label assignment."""
    pairs = torch.zeros(len(positions), num_classes, dtype=torch.bool, device=positions.device)
    for (start, end), label in zip(spans.tolist(), labels.tolist()):
        pairs[:, label] |= (positions > start) & (positions < end)
    return pairs


def said_by_the_user(output: LoCoOutput, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Per (video, point, class) of the concatenated levels: (inside an annotated event of the class, inside a
    rejected proposal of it), each [B, P, C] bool over valid points."""
    positions, _, _ = level_points([m.shape[1] for m in output.masks], output.masks[0].device)
    valid = torch.cat(output.masks, dim=1)[..., None]
    classes = output.cls_logits[0].shape[-1]
    events = torch.stack([_inside(positions, s, k, classes) for s, k in zip(batch.segments, batch.labels)])
    rejected = torch.stack([_inside(positions, s, k, classes) for s, k in zip(batch.rejected, batch.rejected_labels)])
    return events & valid, rejected & valid


def hard_negative_loss(output: LoCoOutput, events: torch.Tensor, rejected: torch.Tensor) -> torch.Tensor:
    """Summed focal loss, against "not this class", of the classification logits of each rejected proposal's class
    at every pyramid point strictly inside its span, except the points inside an annotated event of that class (a
    user may reject a proposal and add the event it should have been); ``events``, ``rejected`` from
    :func:`said_by_the_user`. Those pairs already count once as background in the detection loss; this term weighs
    them again."""
    hard = rejected & ~events
    logits = torch.cat(output.cls_logits, dim=1)[hard]
    return sigmoid_focal_loss(logits, torch.zeros_like(logits))


def silent_pairs(output: LoCoOutput, events: torch.Tensor, rejected: torch.Tensor, known: int) -> torch.Tensor:
    """[B, P, C] bool over valid points: the (point, class) pairs of the first ``known`` classes (the starting
    model's) that the user said nothing about, neither inside an annotated event nor inside a rejected proposal of
    that class (``events``, ``rejected`` from :func:`said_by_the_user`)."""
    silent = ~(events | rejected) & torch.cat(output.masks, dim=1)[..., None]
    silent[..., known:] = False
    return silent


def distillation_loss(output: LoCoOutput, teacher: LoCoOutput, events: torch.Tensor,
                      rejected: torch.Tensor) -> torch.Tensor:
    """Summed binary KL divergence from the starting model's class probabilities (``teacher``, its K classes being
    the first K of ``output``'s) to the model's, at the (point, class) pairs the user said nothing about
    (:func:`silent_pairs`). A fine-tune on a few corrected videos thus keeps what the starting model said about every
    class where the user did not correct it."""
    known = teacher.cls_logits[0].shape[-1]
    silent = silent_pairs(output, events, rejected, known)[..., :known]
    student = torch.cat(output.cls_logits, dim=1)[..., :known][silent]
    target_logits = torch.cat(teacher.cls_logits, dim=1)[silent].detach()
    target = torch.sigmoid(target_logits)
    cross_entropy = F.binary_cross_entropy_with_logits(student, target, reduction="sum")
    entropy = F.binary_cross_entropy_with_logits(target_logits, target, reduction="sum")
    return cross_entropy - entropy


# ------------------------------------------------------------------------------------------------------- state file
def save_state(path: Path, state: dict[str, Any]) -> None:
    """Atomic ``torch.save`` of tensors and plain types only (so ``weights_only=True`` can read it back)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def load_state(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def _trim_log(path: Path, completed_epochs: int) -> None:
    """Drop log lines of epochs after the resumed state (written before an interruption), keeping the log honest."""
    if not path.is_file():
        return
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["epoch"] < completed_epochs]
    with atomic_write(path, "w") as handle:
        handle.write("".join(line + "\n" for line in lines))


# ------------------------------------------------------------------------------------------------------------ train
def train(
    config: Config,
    train_set: VideoFeatureDataset,
    output_dir: str | Path,
    val_set: VideoFeatureDataset | None = None,
    profile: str | None = None,
    metadata: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
    show_progress_bar: bool = True,
    init_weights: dict[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train on ``train_set``; keep the EMA weights that score best on ``val_set`` as ``best.safetensors``.

    With ``resume`` and a ``last_state.pt`` in ``output_dir``, continue after its last completed epoch.
    ``init_weights`` (a state dict) starts from existing weights: fine-tuning. Under ``torchrun`` each process calls
    this function; ``config.train.batch_size`` is the global batch, split evenly over the ranks.
    """
    tc = config.train
    output_dir = Path(output_dir)
    device = resolve_device(tc.device)
    ctx = init_distributed(device)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
        torch.cuda.set_device(device)
    if tc.batch_size % ctx.world_size:
        raise TrainingError(f"global batch {tc.batch_size} does not split evenly over {ctx.world_size} processes")
    local_batch = tc.batch_size // ctx.world_size
    grid: FeatureGrid = train_set.grid
    visual_dim, audio_dim = train_set.feature_dims()
    if (visual_dim, audio_dim) != (config.model.visual_dim, config.model.audio_dim) or (
        train_set.num_classes != config.model.num_classes
    ):
        config = config.with_overrides([f"model.visual_dim={visual_dim}", f"model.audio_dim={audio_dim}",
                                        f"model.num_classes={train_set.num_classes}"])

    model = build_model(config.model, seed=tc.seed).to(device)
    if init_weights is not None:
        _load_initial_weights(model, init_weights)
    if tc.open_branch_only and (init_weights is None or model.open_vocabulary is None):
        raise TrainingError("train.open_branch_only trains an open-vocabulary branch over a trained start: fine-tune "
                            "(--init) a model with model.open_vocabulary.enabled")
    trained_modules = OPEN_BRANCH if tc.open_branch_only else HEAD_MODULES if tc.freeze_trunk else None
    if trained_modules is not None:
        freeze_trunk(model, trained_modules)
    kept_rows = []
    if (tc.keep_start_regression or tc.said_classes_only) and init_weights is None:
        raise TrainingError("train.keep_start_regression and train.said_classes_only keep a starting model's "
                            "weights: fine-tune (--init)")
    if tc.said_classes_only:
        kept_rows = train_said_classes_only(model, said_classes(train_set, _known_classes(init_weights)))
    elif tc.keep_start_regression:
        kept_rows = keep_start_regression(model, _known_classes(init_weights))
    teacher = _teacher(config, init_weights, device) if init_weights is not None and tc.distill_weight > 0 else None
    ema = AveragedModel(model, multi_avg_fn=ema_update_fn(tc.ema_decay, tc.ema_warmup), use_buffers=True)
    optimizer = torch.optim.AdamW(parameter_groups(model, tc.weight_decay, exempt=kept_rows), lr=tc.lr)
    sampler = DistributedSampler(train_set, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=tc.seed)
    drop_last = len(train_set) >= tc.batch_size
    loader = DataLoader(train_set, batch_size=local_batch, sampler=sampler, drop_last=drop_last,
                        num_workers=tc.num_workers,
                        collate_fn=partial(collate_videos, pad_multiple=pad_multiple(config.model.pyramid_levels),
                                           min_length=config.model.max_seq_len if tc.pad_to_max_seq_len else 0))
    steps_per_epoch = max(len(loader), 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_cosine(tc.epochs * steps_per_epoch, tc.warmup_epochs * steps_per_epoch))

    state_path, log_path = output_dir / STATE_FILE, output_dir / METRICS_LOG
    start_epoch, best_metrics, history = 0, {}, []
    if resume and state_path.is_file():
        state = load_state(state_path)
        # read back as a Config: a key added since the state was written takes its default, as for older headers
        if Config.from_dict(state["config"]) != config or state["world_size_seed"] != [ctx.world_size, tc.seed]:
            raise TrainingError(f"{state_path} was written by a different configuration; use a new output folder")
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_metrics, history = state["epoch"], state["best_metrics"], state["history"]
    if ctx.is_main:
        output_dir.mkdir(parents=True, exist_ok=True)
        _trim_log(log_path, start_epoch)
        write_config_snapshot(output_dir, config)

    train_model: nn.Module = model
    if ctx.enabled:
        _positive_count_ema(model).register_forward_pre_hook(_sum_over_ranks)
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)

    best_path = output_dir / BEST_CHECKPOINT
    profile = profile or config.data.profile
    ema_model = LoadedModel(ema.module, config, train_set.class_names, profile, grid)  # what validation scores
    # the open-vocabulary head reads the classes' label-space evidence from each batch's own features
    prior = label_prior_of(ema_model) if config.model.open_vocabulary.enabled else None
    val_truth = dataset_ground_truth(val_set) if val_set is not None and ctx.is_main else None
    for epoch in range(start_epoch, tc.epochs):
        torch.manual_seed(epoch_seed(tc.seed, epoch, ctx.rank))
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        model.train()
        if trained_modules is not None:
            _trunk_to_eval(model, trained_modules)
        started, totals = time.time(), {"total": 0.0, "cls": 0.0, "reg": 0.0, "lcc": 0.0}
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{tc.epochs}", disable=not (show_progress_bar and ctx.is_main),
                   leave=False)
        for step, batch in enumerate(bar):
            losses = _train_step(train_model, model, ema, optimizer, scheduler, batch.to(device), tc, ctx, prior,
                                 teacher)
            for key in totals:
                totals[key] += losses[key]
            bar.set_postfix(loss=f"{losses['total']:.3f}")
            if progress is not None and ctx.is_main:
                progress(TrainProgress(epoch, tc.epochs, step + 1, steps_per_epoch, losses["total"]))
        record: dict[str, Any] = {"epoch": epoch, **{k: v / steps_per_epoch for k, v in totals.items()},
                                  "lr": scheduler.get_last_lr()[0], "seconds": round(time.time() - started, 3)}
        if ctx.is_main:
            is_last = epoch + 1 == tc.epochs
            if val_truth is not None and ((epoch + 1) % max(tc.eval_every, 1) == 0 or is_last):
                record["val"] = evaluate_checkpoint(validated(ema_model, tc), val_set, val_truth).named.summary()
            selected = record.get("val", {}).get(SELECTION_METRIC)
            if (val_set is None and is_last) or (
                selected is not None and selected >= best_metrics.get(SELECTION_METRIC, -1.0)
            ):
                best_metrics = dict(record.get("val", {}))
                save_checkpoint(best_path, ema.module, config, train_set.class_names, profile, grid,
                                {**(metadata or {}), "epoch": epoch, "seed": tc.seed}, best_metrics)
            history.append(record)
            with open(log_path, "a", encoding="utf8") as log:
                log.write(json.dumps(record) + "\n")
            # the resume state at validation epochs: a fine-tune of many one-batch epochs would otherwise spend
            # more time writing it than training (a resumed run redoes the epochs since, exactly)
            if (epoch + 1) % max(tc.eval_every, 1) == 0 or is_last:
                save_state(state_path, {
                    "model": model.state_dict(), "ema": ema.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch + 1, "best_metrics": best_metrics,
                    "history": history, "config": config.to_dict(), "world_size_seed": [ctx.world_size, tc.seed],
                })
        if ctx.enabled:
            dist.barrier()
        if progress is not None and ctx.is_main:
            progress(TrainProgress(epoch, tc.epochs, steps_per_epoch, steps_per_epoch, record["total"], True,
                                   record.get("val")))
    return TrainResult(output_dir, best_path if best_path.is_file() else None, best_metrics, history, tc.epochs)


def _train_step(
    train_model: nn.Module,
    model: nn.Module,
    ema: AveragedModel,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    batch: Batch,
    tc: TrainConfig,
    ctx: DistributedContext,
    prior: LabelPrior | None = None,
    teacher: nn.Module | None = None,
) -> dict[str, float]:
    evidence = None if prior is None else batch_evidence(prior, batch.visual, batch.audio, batch.num_steps, batch.cues)
    output = train_model(batch.visual, batch.audio, batch.mask, evidence=evidence)
    targets = [SegmentTargets(s, lab) for s, lab in zip(batch.segments, batch.labels)]
    use_rejected = tc.hard_negative_weight > 0 and any(len(r) for r in batch.rejected)
    events = rejected = ignore = None
    if use_rejected or teacher is not None:
        events, rejected = said_by_the_user(output, batch)
    if teacher is not None and tc.distill_only_where_silent:
        ignore = silent_pairs(output, events, rejected, teacher.cfg.num_classes)
    losses = model.compute_loss(output, targets, ignore)
    tuning = losses.cls.new_zeros(())  # the fine-tuning terms, on the detection loss's normaliser (this step's)
    if events is not None:
        if use_rejected:
            tuning = tuning + tc.hard_negative_weight * hard_negative_loss(output, events, rejected)
        if teacher is not None:
            known = teacher.cfg.num_classes
            own = None if evidence is None else ClassEvidence(evidence.scores[:, :, :known], evidence.mapped[:, :known])
            with torch.no_grad():
                taught = teacher(batch.visual, batch.audio, batch.mask, evidence=own)
            tuning = tuning + tc.distill_weight * distillation_loss(output, taught, events, rejected)
        tuning = tuning / model.loss_normaliser.value.detach()
    # detection losses are sums over points divided by the GLOBAL positive count: scale by W so DDP's gradient
    # average equals the single-process gradient; the LCC term is a per-video mean and needs no scaling.
    detection = losses.cls + losses.reg + tuning
    objective = losses.total + tuning + (ctx.world_size - 1) * detection
    optimizer.zero_grad(set_to_none=True)
    objective.backward()
    if tc.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
    optimizer.step()
    scheduler.step()
    ema.update_parameters(model)
    lcc = losses.lcc.detach() if losses.lcc is not None else losses.cls.new_zeros(())
    # logged values are those of the whole (global) batch: detection terms add up over ranks, LCC terms average
    values = torch.stack([losses.cls.detach() + tuning.detach(), losses.reg.detach(), lcc,
                          (losses.total + tuning - detection).detach()]).float()
    if ctx.enabled:
        dist.all_reduce(values)
        values[2:] /= ctx.world_size
    cls, reg, lcc_value, lcc_term = values.tolist()
    return {"total": cls + reg + lcc_term, "cls": cls, "reg": reg, "lcc": lcc_value}


def write_config_snapshot(output_dir: Path, config: Config) -> None:
    """The resolved configuration next to the run, for people reading the folder later."""
    with atomic_write(output_dir / "config.yaml", "w") as handle:
        yaml.safe_dump(config.to_dict(), handle, sort_keys=False)


__all__ = ["TrainProgress", "TrainResult", "TrainingError", "TrainingInterrupted", "distillation_loss", "freeze_trunk",
           "grown_state", "hard_negative_loss", "keep_start_regression", "new_rows_score_label_spaces",
           "said_by_the_user", "said_classes", "silent_pairs", "train", "train_said_classes_only", "validated",
           "write_config_snapshot"]
