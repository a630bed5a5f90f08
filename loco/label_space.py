"""Which labels of the pretrained heads mean each class: the label-space file, its loader and its validator.

``assets/taxonomy/label_space.json`` maps every class of the UnAV-100 taxonomy and of the default benchmark to
YAMNet's AudioSet labels, MobileNetV2's ImageNet-1k labels and I3D's Kinetics-400 labels (written from the class names
alone), plus ``faces``: whether the face cue (:mod:`loco.features.faces`) is visual evidence of the class. A stream
with no label for a class says why (``<stream>_reason``). The heads' own label lists are
``assets/taxonomy/head_labels.json``. A project's own classes (added in the app) are saved in
``<data folder>/label_space.json`` in the same format; its entries override the shipped ones.

The label prior (:mod:`loco.label_prior`) and the open-vocabulary head read the mapping through
:func:`load_label_space`; which of a class's streams a feature profile can perceive is :meth:`ClassLabels.perceived_on`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loco.io import atomic_write
from loco.paths import ASSETS_DIR, data_dir

LABEL_SPACE_FILE = ASSETS_DIR / "taxonomy" / "label_space.json"
HEAD_LABELS_FILE = ASSETS_DIR / "taxonomy" / "head_labels.json"
TAXONOMY_FILE = ASSETS_DIR / "taxonomy" / "unav100_classes.json"
PROJECT_FILE_NAME = "label_space.json"
STREAMS = ("audioset", "imagenet", "kinetics")
VISUAL_STREAM = {"fast": "imagenet", "i3d": "kinetics"}  # the label space each profile's visual head outputs
FACE_CUE_PROFILES = ("fast",)  # the profiles whose feature files carry the face cue (loco/features/profiles.py)
STREAM_TITLES = {"audioset": "AudioSet", "imagenet": "ImageNet", "kinetics": "Kinetics-400", "faces": "the face cue"}


class LabelSpaceError(ValueError):
    """A label-space entry that names a label its head does not have, or leaves a stream empty without a reason."""


@dataclass(frozen=True)
class HeadLabels:
    """Each head's labels in its output order."""

    audioset: tuple[str, ...]  # YAMNet, 521
    imagenet: tuple[str, ...]  # MobileNetV2, 1000
    kinetics: tuple[str, ...]  # I3D, 400

    def names(self, stream: str) -> tuple[str, ...]:
        return getattr(self, stream)


@functools.lru_cache(maxsize=1)
def head_labels() -> HeadLabels:
    data = json.loads(HEAD_LABELS_FILE.read_text(encoding="utf-8"))
    return HeadLabels(tuple(data["audioset"]), tuple(data["imagenet"]), tuple(data["kinetics400"]))


@functools.lru_cache(maxsize=len(STREAMS))
def label_indices(stream: str) -> dict[str, int]:
    """Each label of a head's list -> its index (built once per head: every entry is validated against it)."""
    return {label: i for i, label in enumerate(head_labels().names(stream))}


@dataclass(frozen=True)
class ClassLabels:
    """One class's labels per head (indices into :class:`HeadLabels`), and why a stream has none."""

    name: str
    audioset: tuple[int, ...] = ()
    imagenet: tuple[int, ...] = ()
    kinetics: tuple[int, ...] = ()
    faces: bool = False
    reasons: tuple[tuple[str, str], ...] = ()  # (stream, why it has no label) for each empty stream

    def indices(self, stream: str) -> tuple[int, ...]:
        return getattr(self, stream)

    def reason(self, stream: str) -> str:
        return dict(self.reasons).get(stream, "")

    @property
    def mapped(self) -> bool:
        """Whether any stream can see or hear the class."""
        return any(self.indices(stream) for stream in STREAMS)

    def perceived_on(self, profile: str) -> tuple[str, ...]:
        """The streams of ``profile``'s features that hear or see the class: its labels in the audio head and in the
        profile's visual head, and the face cue where the profile has it."""
        if profile not in VISUAL_STREAM:
            raise LabelSpaceError(f"no label space is read on profile {profile!r}; one of {sorted(VISUAL_STREAM)}")
        streams = tuple(s for s in ("audioset", VISUAL_STREAM[profile]) if self.indices(s))
        return streams + (("faces",) if self.faces and profile in FACE_CUE_PROFILES else ())

    def unperceived_reason(self, profile: str) -> str:
        """Why no stream of ``profile`` perceives the class (each of its streams' reasons)."""
        streams = ("audioset", VISUAL_STREAM[profile])
        return "; ".join(f"{STREAM_TITLES[s]}: {self.reason(s) or 'no label'}" for s in streams)

    def to_entry(self) -> dict[str, Any]:
        """The file's JSON entry (ImageNet as [index, name] pairs, the others as names)."""
        heads = head_labels()
        entry: dict[str, Any] = {}
        for stream in STREAMS:
            names = heads.names(stream)
            labels = self.indices(stream)
            entry[stream] = [[i, names[i]] for i in labels] if stream == "imagenet" else [names[i] for i in labels]
            if not labels:
                entry[f"{stream}_reason"] = self.reason(stream)
        if self.faces:
            entry["faces"] = True
        return entry


def parse_entry(name: str, entry: dict[str, Any]) -> ClassLabels:
    """Validate one class's entry against the heads' label lists."""
    if not isinstance(entry, dict):
        raise LabelSpaceError(f"{name!r}: an entry must be a mapping")
    known = set(STREAMS) | {f"{s}_reason" for s in STREAMS} | {"faces"}
    if set(entry) - known:
        raise LabelSpaceError(f"{name!r}: unknown keys {sorted(set(entry) - known)}")
    heads = head_labels()
    found: dict[str, tuple[int, ...]] = {}
    reasons = []
    for stream in STREAMS:
        names = heads.names(stream)
        index_of = label_indices(stream)
        labels = entry.get(stream, [])
        if stream == "imagenet":
            wrong = [pair for pair in labels if not (isinstance(pair, list) and len(pair) == 2
                                                     and isinstance(pair[0], int) and 0 <= pair[0] < len(names)
                                                     and names[pair[0]] == pair[1])]
            indices = tuple(pair[0] for pair in labels if pair not in wrong)
        else:
            wrong = [label for label in labels if label not in index_of]
            indices = tuple(index_of[label] for label in labels if label in index_of)
        if wrong:
            raise LabelSpaceError(f"{name!r}: {wrong} are not {stream} labels of its head")
        if len(set(indices)) != len(indices):
            raise LabelSpaceError(f"{name!r}: a {stream} label is listed twice")
        reason = str(entry.get(f"{stream}_reason") or "").strip()
        if not indices and not reason:
            raise LabelSpaceError(f"{name!r}: no {stream} label, and no '{stream}_reason' saying why")
        if not indices:
            reasons.append((stream, reason))
        found[stream] = indices
    faces = entry.get("faces", False)
    if not isinstance(faces, bool):
        raise LabelSpaceError(f"{name!r}: 'faces' must be true or false")
    return ClassLabels(name, found["audioset"], found["imagenet"], found["kinetics"], faces, tuple(reasons))


def read_label_space_file(path: str | Path) -> dict[str, ClassLabels]:
    """Every class of one label-space file, validated."""
    try:
        classes = json.loads(Path(path).read_text(encoding="utf-8"))["classes"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LabelSpaceError(f"label-space file {Path(path).name} is unusable: {error}") from None
    return {name: parse_entry(name, entry) for name, entry in classes.items()}


def project_file() -> Path:
    """The project's own label space (classes added in the app), in the data folder."""
    return data_dir() / PROJECT_FILE_NAME


def load_label_space(
    shipped: str | Path = LABEL_SPACE_FILE, project: str | Path | None = None
) -> dict[str, ClassLabels]:
    """The shipped label space with the project's entries (``project``, default :func:`project_file`) over it."""
    classes = read_label_space_file(shipped)
    extra = Path(project) if project is not None else project_file()
    if extra.is_file():
        classes.update(read_label_space_file(extra))
    return classes


def taxonomy_names(project: str | Path | None = None) -> list[str]:
    """The default taxonomy (UnAV-100's 100 classes, in label-id order) and then the project's own classes
    (``project``, default :func:`project_file`) it lacks: the classes an open-vocabulary model scores by default."""
    data = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    names = [c["name"] for c in sorted(data["classes"], key=lambda c: c["label_id"])]
    extra = Path(project) if project is not None else project_file()
    own = list(read_label_space_file(extra)) if extra.is_file() else []
    return names + [name for name in own if name not in names]


def labels_for(names: list[str], label_space: Mapping[str, ClassLabels]) -> list[ClassLabels]:
    """Each class's labels, in order; a class the label space lacks has none (every stream empty, say so)."""
    missing = "the label space has no entry for this class"
    return [label_space.get(name) or ClassLabels(name, reasons=tuple((s, missing) for s in STREAMS)) for name in names]


def save_project_class(labels: ClassLabels, path: str | Path | None = None) -> Path:
    """Write (or replace) one class's entry in the project's label-space file, atomically. The entry is validated
    first, so the file only ever holds entries the loader accepts."""
    target = Path(path) if path is not None else project_file()
    entry = labels.to_entry()
    parse_entry(labels.name, entry)
    data = {"about": "Labels of this project's own classes, written by LoCo Studio (format: "
                     "assets/taxonomy/label_space.json); these entries override the shipped ones.", "classes": {}}
    if target.is_file():
        data["classes"] = json.loads(target.read_text(encoding="utf-8")).get("classes", {})
    data["classes"][labels.name] = entry
    with atomic_write(target, "w") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    return target


def describe(labels: ClassLabels) -> dict[str, str]:
    """One line per stream for a table: its labels, or why it has none."""
    heads = head_labels()
    out = {}
    for stream in STREAMS:
        names = [heads.names(stream)[i] for i in labels.indices(stream)]
        out[stream] = ", ".join(names) if names else f"none: {labels.reason(stream)}"
    out["faces"] = "yes" if labels.faces else "no"
    return out

