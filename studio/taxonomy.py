"""The taxonomy's labels and what the active model makes of them: a class added with the pretrained heads' labels
that mean it, and, for every class, whether a model scores it (trained on examples, by label space only, or not at
all, and why), so that nobody wonders why a class never appears.

A class's labels live in the project's label-space file (``<data>/label_space.json``, written atomically by
:func:`loco.label_space.save_project_class`, validated against the heads' label lists first); the class itself in the
store's taxonomy. Detection scores the store's taxonomy with the project's label space (:func:`scoring_model`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from loco.checkpoint import LABEL_SPACE_ONLY, NOT_SCORED, TRAINED, ClassScoring, LoadedModel
from loco.label_space import ClassLabels, describe, head_labels, labels_for, load_label_space, save_project_class
from storage import ClassInfo, Store
from storage.taxonomy import check_label_text
from studio.errors import ServiceError

NO_LABEL_CHOSEN = "none chosen when the class was added in LoCo Studio"


def scoring_model(store: Store, loaded: LoadedModel, project: Path | None = None) -> LoadedModel:
    """``loaded`` scoring the store's whole taxonomy, as far as it can (:meth:`LoadedModel.with_classes`): an
    open-vocabulary model adds the classes it has no examples of by their labels in the project's label space."""
    return loaded.with_classes(store.class_names(), load_label_space(project=project))


def taxonomy_and_model_classes(store: Store, loaded: LoadedModel) -> list[str]:
    """The taxonomy's classes, then the model's own classes the taxonomy lacks."""
    return list(dict.fromkeys(store.class_names() + loaded.class_names))


def class_scoring(store: Store, loaded: LoadedModel, project: Path | None = None) -> list[ClassScoring]:
    """How ``loaded`` scores each class of :func:`taxonomy_and_model_classes`."""
    return loaded.class_scoring(taxonomy_and_model_classes(store, loaded), load_label_space(project=project))


@dataclass(frozen=True)
class ScoringSummary:
    """How many classes of the taxonomy a model scores, and how."""

    trained: int
    label_space: int
    not_scored: int

    @classmethod
    def of(cls, hows: Iterable[str]) -> "ScoringSummary":
        """From each class's :attr:`ClassScoring.how`."""
        counts = Counter(hows)
        return cls(counts[TRAINED], counts[LABEL_SPACE_ONLY], counts[NOT_SCORED])

    def sentence(self) -> str:
        scored = self.trained + self.label_space
        text = (f"This model scores {scored} of the taxonomy's {scored + self.not_scored} classes: {self.trained} "
                f"trained on examples, {self.label_space} by label space only")
        return text + (f"; {self.not_scored} it cannot score." if self.not_scored else ".")


@dataclass(frozen=True)
class ClassRow:
    """One line of the taxonomy table: the class, how the model scores it, and its labels per stream."""

    name: str
    scored: str
    why: str
    audioset: str
    imagenet: str
    kinetics: str
    faces: str


def class_rows(store: Store, loaded: LoadedModel, project: Path | None = None) -> list[ClassRow]:
    """:func:`class_scoring` with each class's labels (or why a stream has none)."""
    label_space = load_label_space(project=project)
    names = taxonomy_and_model_classes(store, loaded)
    rows = []
    for scored, labels in zip(loaded.class_scoring(names, label_space), labels_for(names, label_space)):
        shown = describe(labels)
        rows.append(ClassRow(scored.name, scored.how, scored.why, shown["audioset"], shown["imagenet"],
                             shown["kinetics"], shown["faces"]))
    return rows


def class_labels(name: str, audioset: Sequence[int] = (), imagenet: Sequence[int] = (), kinetics: Sequence[int] = (),
                 faces: bool = False) -> ClassLabels:
    """A class's labels from indices into the heads' label lists (:func:`loco.label_space.head_labels`); a stream
    left empty says that none was chosen. Raises :class:`ServiceError` for an index the head does not have."""
    heads = head_labels()
    chosen = {"audioset": tuple(audioset), "imagenet": tuple(imagenet), "kinetics": tuple(kinetics)}
    for stream, indices in chosen.items():
        wrong = [i for i in indices if not (isinstance(i, int) and 0 <= i < len(heads.names(stream)))]
        if wrong:
            raise ServiceError(f"{wrong} are not {stream} labels of its head")
        if len(set(indices)) != len(indices):
            raise ServiceError(f"a {stream} label is chosen twice")
    reasons = tuple((stream, NO_LABEL_CHOSEN) for stream, indices in chosen.items() if not indices)
    return ClassLabels(name, chosen["audioset"], chosen["imagenet"], chosen["kinetics"], bool(faces), reasons)


def add_class(store: Store, labels: ClassLabels, project: Path | None = None) -> ClassInfo:
    """A new class of the taxonomy with its labels: the name checked first, then the labels written to the project's
    label-space file (atomically, validated), then the class added to the store."""
    name = check_label_text(labels.name)
    if name in store.class_names():
        raise ServiceError(f"class {name[:80]!r} already exists; change its labels instead")
    save_project_class(labels, project)
    return store.add_class(name)


def set_class_labels(store: Store, labels: ClassLabels, project: Path | None = None) -> Path:
    """Replace the labels of a class of the taxonomy in the project's label-space file (atomically, validated)."""
    if labels.name not in store.class_names():
        raise ServiceError(f"there is no class {labels.name[:80]!r} in the taxonomy")
    return save_project_class(labels, project)
