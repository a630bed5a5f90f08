"""The store's plumbing shared by every group of operations: engine, transactions, authors and class look-ups."""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from loco.grid import UNAV_GRID, FeatureGrid
from storage.engine import READ_ONLY
from storage.errors import ValidationError
from storage.models import Author, ClassLabel

AUTHOR_ENV = "LOCO_AUTHOR"


def name_key(name: str) -> str:
    """Unique key of a class name (a hash keeps the index small: PostgreSQL refuses b-tree entries over ~2.7 kB)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def default_author() -> str:
    """Who is editing: ``LOCO_AUTHOR``, else the operating-system user."""
    try:
        return os.environ.get(AUTHOR_ENV) or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class StoreCore:
    def __init__(self, engine: Engine, grid: FeatureGrid = UNAV_GRID) -> None:
        self.engine = engine
        self.grid = grid
        self._read_engine = engine.execution_options(**{READ_ONLY: True})
        self._author_ids: dict[str, int] = {}

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def min_event_seconds(self) -> float:
        """Edited and added events must span at least one feature step of the grid."""
        return self.grid.hop_seconds

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction: commits if the block succeeds, rolls everything back otherwise."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _author_id(self, name: str | None) -> int:
        """Id of an author, created in its own small transaction (call before opening the operation's transaction:
        an author row without edits is harmless, and a rolled-back edit must not leave a cached id of a lost row)."""
        name = name or default_author()
        if not name.strip() or len(name) > 200:
            raise ValidationError("an author name must be 1 to 200 characters")
        if name not in self._author_ids:
            with self._write() as session:
                dialect = session.bind.dialect.name
                insert = pg_insert if dialect == "postgresql" else sqlite_insert
                if dialect in ("postgresql", "sqlite"):
                    session.execute(insert(Author).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
                elif session.scalar(select(Author.id).where(Author.name == name)) is None:
                    session.add(Author(name=name))
                    session.flush()
                self._author_ids[name] = session.scalar(select(Author.id).where(Author.name == name))
        return self._author_ids[name]

    @staticmethod
    def _class_map(session: Session) -> dict[str, tuple[int, int]]:
        """Class name -> (row id, label id), read inside the caller's transaction."""
        rows = session.execute(select(ClassLabel.name, ClassLabel.id, ClassLabel.label_id))
        return {name: (row_id, label_id) for name, row_id, label_id in rows}

    @staticmethod
    def _class_id(session: Session, label: str) -> int:
        """Row id of a class by name; an unknown label is refused with a clear message."""
        if not isinstance(label, str):
            raise ValidationError(f"a label must be text, got {type(label).__name__}")
        row_id = session.scalar(select(ClassLabel.id).where(ClassLabel.name_sha256 == name_key(label)))
        if row_id is None:
            raise ValidationError(f"label {label[:80]!r} is not in the taxonomy; add the class first")
        return row_id
