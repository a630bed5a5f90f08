"""The project's class list. New databases start with the 100 UnAV-100 classes (``assets/taxonomy``, MIT licence of
UnAV-100 kept beside it); a project may add classes and rename them. Revisions reference the class row, not its name,
so a rename keeps every event's history and a snapshot keeps the names it was frozen with."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from loco.paths import ASSETS_DIR
from storage.core import StoreCore, name_key
from storage.errors import NotFoundError, ValidationError
from storage.models import ClassLabel

DEFAULT_TAXONOMY = ASSETS_DIR / "taxonomy" / "unav100_classes.json"
MAX_LABEL_CHARS = 16_384
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ClassInfo:
    label_id: int
    name: str


def check_label_text(name: str) -> str:
    """Labels are stored verbatim; refused only if empty, huge, or holding control characters (tabs and newlines
    would break the line-based export formats)."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("a class name must be non-empty text")
    if len(name) > MAX_LABEL_CHARS:
        raise ValidationError(f"a class name may have at most {MAX_LABEL_CHARS} characters, got {len(name)}")
    if _CONTROL.search(name):
        raise ValidationError(f"class name {name[:40]!r} contains a control character (tab, newline, ...)")
    return name


def load_taxonomy_file(path: Path = DEFAULT_TAXONOMY) -> list[ClassInfo]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    classes = [ClassInfo(int(c["label_id"]), check_label_text(c["name"])) for c in data["classes"]]
    if sorted(c.label_id for c in classes) != list(range(len(classes))):
        raise ValidationError(f"{path.name}: label ids must be 0..{len(classes) - 1}")
    return classes


def class_rows(classes: list[ClassInfo]) -> list[dict]:
    return [{"label_id": c.label_id, "name": c.name, "name_sha256": name_key(c.name)} for c in classes]


class TaxonomyOps(StoreCore):
    def classes(self) -> list[ClassInfo]:
        """The taxonomy, ordered by label id (the id used in UnAV-format exports)."""
        with self._read() as session:
            rows = session.execute(select(ClassLabel.label_id, ClassLabel.name).order_by(ClassLabel.label_id))
            return [ClassInfo(label_id, name) for label_id, name in rows]

    def class_names(self) -> list[str]:
        return [c.name for c in self.classes()]

    def add_class(self, name: str) -> ClassInfo:
        """Append a class with the next free label id."""
        check_label_text(name)
        with self._write() as session:
            if session.scalar(select(ClassLabel.id).where(ClassLabel.name_sha256 == name_key(name))) is not None:
                raise ValidationError(f"class {name[:80]!r} already exists")
            next_id = (session.scalar(select(func.max(ClassLabel.label_id))) or -1) + 1
            session.add(ClassLabel(label_id=next_id, name=name, name_sha256=name_key(name)))
        return ClassInfo(next_id, name)

    def rename_class(self, old_name: str, new_name: str) -> ClassInfo:
        """Rename in place: events keep their history and show the new name from now on."""
        check_label_text(new_name)
        with self._write() as session:
            row = session.scalar(select(ClassLabel).where(ClassLabel.name_sha256 == name_key(old_name)))
            if row is None:
                raise NotFoundError(f"no class named {old_name[:80]!r}")
            if session.scalar(select(ClassLabel.id).where(ClassLabel.name_sha256 == name_key(new_name))) is not None:
                raise ValidationError(f"class {new_name[:80]!r} already exists")
            session.execute(
                update(ClassLabel).where(ClassLabel.id == row.id).values(name=new_name, name_sha256=name_key(new_name))
            )
            info = ClassInfo(row.label_id, new_name)
        return info
