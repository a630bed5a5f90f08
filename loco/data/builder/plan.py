"""Draws a video's timeline: when which stamp is seen and/or heard, where it moves, how loud, over which footage.

Timelines are copied from REAL UnAV-100 videos: a template is one annotated UnAV-100 video, its segments taken relative
to its duration, its distinct labels mapped to distinct classes of ours. So events per video, relative durations,
same-class repeats and overlaps follow the real joint distribution, not independent guesses. A plan is a pure value:
rendering it twice gives the same video, and the same seed always gives the same plans.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from loco.data.builder.sources import SUBSETS, Background, Catalogue, Stamp, StampClass, pool_of


@dataclass(frozen=True)
class PlanSpec:
    """Output format and the ranges the random choices are drawn from."""

    width: int = 320
    height: int = 240
    fps: int = 25
    sample_rate: int = 22050
    # A video is as long as the real UnAV-100 video whose timeline it copies (10-60 s, mean 42 s), clipped to these.
    min_duration: float = 10.0
    max_duration: float = 60.0
    max_template_events: int = 8
    min_event: float = 0.6
    merge_gap: float = 0.3
    distractor_counts: tuple[float, ...] = (0.35, 0.45, 0.2)  # P(0), P(1), P(2) distractors per distractor_span
    distractor_span: float = 20.0
    event_gain_db: tuple[float, float] = (-6.0, 3.0)
    noise_db: tuple[float, float] = (-56.0, -42.0)
    photo_size: tuple[float, float] = (0.3, 0.55)


@dataclass(frozen=True)
class Layer:
    """One stamp on the timeline. ``event``: photo visible AND its sound audible (annotated); ``sound_only`` and
    ``photo_only`` are distractors (never annotated). Positions are photo centres in frame fractions, sizes are photo
    heights in frame-height fractions, linearly interpolated from start to end."""

    kind: str
    stamp: str
    photo: str | None
    sound: str | None
    start: float
    end: float
    label: str | None = None
    label_id: int | None = None
    gain_db: float = 0.0
    sound_offset: float = 0.0
    loop_gap: float = 0.2
    x: tuple[float, float] = (0.5, 0.5)
    y: tuple[float, float] = (0.5, 0.5)
    size: tuple[float, float] = (0.4, 0.4)
    flip: bool = False

    @property
    def visible(self) -> bool:
        return self.kind in ("event", "photo_only")

    @property
    def audible(self) -> bool:
        return self.kind in ("event", "sound_only")


@dataclass(frozen=True)
class VideoPlan:
    video_id: str
    subset: str
    duration: float
    width: int
    height: int
    fps: int
    sample_rate: int
    background: str
    background_range: tuple[float, float]
    background_start: float
    background_speed: float
    background_flip: bool
    brightness: float  # footage gain in (0, 1]: dimming only
    noise_db: float
    noise_seed: int
    layers: tuple[Layer, ...] = field(default_factory=tuple)

    @property
    def num_frames(self) -> int:
        return int(round(self.duration * self.fps))

    def events(self) -> list[Layer]:
        return sorted((l for l in self.layers if l.kind == "event"), key=lambda l: (l.start, l.end, l.label_id))

    def annotation_entry(self) -> dict:
        """This video's entry in a UnAV-format annotation file."""
        return {
            "subset": self.subset,
            "duration": self.duration,
            "annotations": [
                {"segment": [round(l.start, 3), round(l.end, 3)], "label": l.label, "label_id": l.label_id}
                for l in self.events()
            ],
        }

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "VideoPlan":
        data = dict(data)
        layers = tuple(
            Layer(**{key: tuple(v) if isinstance(v, list) else v for key, v in layer.items()})
            for layer in data.pop("layers")
        )
        data["background_range"] = tuple(data["background_range"])
        return cls(**data, layers=layers)


class TimelineTemplates:
    """Relative timelines of real UnAV-100 videos: per video a list of (start/duration, end/duration, local label),
    and each video's duration in seconds."""

    def __init__(self, timelines: list[list[tuple[float, float, int]]], durations: list[float]):
        if not timelines or len(durations) != len(timelines):
            raise ValueError("no timeline templates, or not one duration per timeline")
        self.timelines = timelines
        self.durations = durations

    @classmethod
    def from_annotation_file(cls, path: Path | str, max_events: int = 8) -> "TimelineTemplates":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"UnAV-100 annotation file {path} not found (pass --unav-annotations)")
        database = json.loads(path.read_text())["database"]
        timelines, durations = [], []
        for video_id in sorted(database):
            video = database[video_id]
            notes, duration = video["annotations"], float(video["duration"])
            if not notes or len(notes) > max_events or duration <= 0:
                continue
            local = {label: i for i, label in enumerate(dict.fromkeys(n["label"] for n in notes))}
            timeline = [
                (max(0.0, n["segment"][0] / duration), min(1.0, n["segment"][1] / duration), local[n["label"]])
                for n in notes
                if n["segment"][1] > n["segment"][0]
            ]
            if timeline:
                timelines.append(timeline)
                durations.append(duration)
        return cls(timelines, durations)


def timeline_statistics(videos: list[tuple[float, list[tuple[float, float, object]]]]) -> dict:
    """Events per video, classes per video, event duration relative to video length and the share of videos with
    overlapping events: the figures the build reports side by side for UnAV-100 and for the built set."""
    events = np.array([len(segs) for _, segs in videos], dtype=float)
    classes = np.array([len({s[2] for s in segs}) for _, segs in videos], dtype=float)
    relative = np.array([(e - s) / d for d, segs in videos for s, e, _ in segs], dtype=float)
    overlapping = 0
    for _, segs in videos:
        ordered = sorted(segs)
        overlapping += any(ordered[i + 1][0] < ordered[i][1] for i in range(len(ordered) - 1))
    return {
        "videos": len(videos),
        "events_per_video": round(float(events.mean()), 3),
        "classes_per_video": round(float(classes.mean()), 3),
        "relative_duration_median": round(float(np.median(relative)), 4),
        "relative_duration_p90": round(float(np.percentile(relative, 90)), 4),
        "videos_with_overlap": round(overlapping / max(1, len(videos)), 4),
    }


def _fit_segments(template, duration: float, spec: PlanSpec) -> list[tuple[float, float, int]]:
    """Scale a template to ``duration``, give every event at least ``min_event`` seconds, and merge same-class
    events that now touch (one class never overlaps itself, as in UnAV-100)."""
    fitted = []
    for rel_start, rel_end, local in template:
        start, end = rel_start * duration, rel_end * duration
        if end - start < spec.min_event:
            centre = (start + end) / 2
            start = min(max(0.0, centre - spec.min_event / 2), duration - spec.min_event)
            end = start + spec.min_event
        fitted.append((start, end, local))
    merged: list[tuple[float, float, int]] = []
    for start, end, local in sorted(fitted, key=lambda s: (s[2], s[0])):
        if merged and merged[-1][2] == local and start <= merged[-1][1] + spec.merge_gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end), local)
        else:
            merged.append((start, end, local))
    return sorted(merged)


def _placement(rng: np.random.Generator, spec: PlanSpec, side: int) -> dict:
    """Where a photo starts and ends and how big it is; ``side`` -1/+1 keeps it (start and end) on the left/right half,
    away from a photo visible at the same time; 0 = anywhere."""
    low, high = {-1: (0.15, 0.4), 1: (0.6, 0.85), 0: (0.15, 0.85)}[side]
    x0 = rng.uniform(low, high)
    y0 = rng.uniform(0.32, 0.68)
    size0 = rng.uniform(*spec.photo_size)
    return {
        "x": (round(x0, 4), round(float(np.clip(x0 + rng.uniform(-0.12, 0.12), low, high)), 4)),
        "y": (round(y0, 4), round(float(np.clip(y0 + rng.uniform(-0.08, 0.08), 0.25, 0.75)), 4)),
        "size": (round(size0, 4), round(float(np.clip(size0 * rng.uniform(0.8, 1.25), 0.22, 0.65)), 4)),
        "flip": bool(rng.random() < 0.5),
    }


def _side_for(start: float, end: float, placed: list[Layer]) -> int:
    """The half of the frame away from a photo already visible at the same time (0 when none is)."""
    for other in placed:
        if other.visible and other.start < end and start < other.end:
            return -1 if sum(other.x) / 2 >= 0.5 else 1
    return 0


def make_layer(
    rng: np.random.Generator,
    spec: PlanSpec,
    kind: str,
    stamp: Stamp,
    start: float,
    end: float,
    placed: list[Layer],
    stamp_class: StampClass | None = None,
) -> Layer:
    """One layer with its random look and sound; ``placed`` are the layers already on the timeline."""
    visible = kind in ("event", "photo_only")
    placement = _placement(rng, spec, _side_for(start, end, placed)) if visible else {}
    gain = rng.uniform(*spec.event_gain_db)
    return Layer(
        kind=kind,
        stamp=stamp.key,
        photo=str(stamp.photo) if visible else None,
        sound=str(stamp.sound) if kind in ("event", "sound_only") else None,
        start=round(float(start), 3),
        end=round(float(end), 3),
        label=stamp_class.name if kind == "event" else None,
        label_id=stamp_class.label_id if kind == "event" else None,
        gain_db=round(float(gain), 2),
        sound_offset=round(float(rng.random()), 4),
        loop_gap=round(float(rng.uniform(0.05, 0.35)), 3),
        **placement,
    )


def _background_choice(rng: np.random.Generator, backgrounds: tuple[Background, ...], subset: str) -> dict:
    background = backgrounds[int(rng.integers(len(backgrounds)))]
    low, high = background.time_range(subset)
    return {
        "background": str(background.path),
        "background_range": (round(low, 3), round(high, 3)),
        "background_start": round(float(rng.uniform(low, high)), 3),
        "background_speed": round(float(rng.uniform(0.7, 1.3)), 3),
        "background_flip": bool(rng.random() < 0.5),
        "brightness": round(float(rng.uniform(0.7, 1.0)), 3),
    }


def _distractor_layers(
    rng: np.random.Generator, spec: PlanSpec, catalogue: Catalogue, subset: str, duration: float, placed: list[Layer]
) -> list[Layer]:
    pool = pool_of(subset)
    used_classes = {l.label for l in placed}
    class_stamps = [s for c in catalogue.classes if c.name not in used_classes for s in c.stamps(pool)]
    layers: list[Layer] = []
    draws = max(1, round(duration / spec.distractor_span))
    count = sum(int(rng.choice(len(spec.distractor_counts), p=spec.distractor_counts)) for _ in range(draws))
    for _ in range(count):
        kind = "sound_only" if rng.random() < 0.5 else "photo_only"
        candidates = class_stamps + list(catalogue.distractors[pool])
        if kind == "photo_only":
            candidates += list(catalogue.photo_only[pool])
        stamp = candidates[int(rng.integers(len(candidates)))]
        length = rng.uniform(1.0, max(1.5, min(6.0, duration / 2)))
        start = rng.uniform(0.0, duration - length)
        layers.append(make_layer(rng, spec, kind, stamp, start, start + length, placed + layers))
    return layers


def plan_video(
    rng: np.random.Generator,
    video_id: str,
    subset: str,
    catalogue: Catalogue,
    templates: TimelineTemplates,
    backgrounds: tuple[Background, ...],
    spec: PlanSpec = PlanSpec(),
) -> VideoPlan:
    """A video of ``subset`` whose events and length follow a random real UnAV-100 video, plus 0-2 distractors per
    ``distractor_span`` seconds."""
    choice = int(rng.integers(len(templates.timelines)))
    template = templates.timelines[choice]
    length = float(np.clip(templates.durations[choice], spec.min_duration, spec.max_duration))
    duration = int(round(length * spec.fps)) / spec.fps
    classes = catalogue.classes_for(subset)
    segments = _fit_segments(template, duration, spec)
    locals_ = sorted({local for _, _, local in segments})
    chosen = rng.choice(len(classes), size=min(len(locals_), len(classes)), replace=False)
    class_of = {local: classes[int(i)] for local, i in zip(locals_, chosen)}
    pool = pool_of(subset)
    stamp_of = {local: c.stamps(pool)[int(rng.integers(len(c.stamps(pool))))] for local, c in class_of.items()}
    layers: list[Layer] = []
    for start, end, local in segments:
        if local in class_of:
            layers.append(make_layer(rng, spec, "event", stamp_of[local], start, end, layers, class_of[local]))
    layers += _distractor_layers(rng, spec, catalogue, subset, duration, layers)
    return VideoPlan(
        video_id=video_id,
        subset=subset,
        duration=duration,
        width=spec.width,
        height=spec.height,
        fps=spec.fps,
        sample_rate=spec.sample_rate,
        noise_db=round(float(rng.uniform(*spec.noise_db)), 2),
        noise_seed=int(rng.integers(2**31)),
        layers=tuple(layers),
        **_background_choice(rng, backgrounds, subset),
    )


def plan_dataset(
    catalogue: Catalogue,
    templates: TimelineTemplates,
    backgrounds: tuple[Background, ...],
    counts: dict[str, int],
    seed: int,
    spec: PlanSpec = PlanSpec(),
) -> list[VideoPlan]:
    """All plans. Video i of a subset depends only on (seed, subset, i), so a larger build extends a smaller one."""
    plans = []
    for subset_index, subset in enumerate(SUBSETS):
        for index in range(counts.get(subset, 0)):
            rng = np.random.default_rng([seed, subset_index, index])
            plans.append(plan_video(rng, f"{subset}_{index:05d}", subset, catalogue, templates, backgrounds, spec))
    return plans
