"""``Store``: every operation of the annotation store, grouped by concern in mixins (videos and runs, events and
edits, taxonomy, import/export, snapshots, splits). Each public method is one transaction."""

from __future__ import annotations

from loco.grid import UNAV_GRID, FeatureGrid
from storage.engine import make_engine, migrate
from storage.snapshots import SnapshotOps
from storage.splits import SplitOps
from storage.taxonomy import TaxonomyOps


class Store(SnapshotOps, TaxonomyOps, SplitOps):
    """The annotation store of one project (one database). Create it with ``storage.open_store``."""

    def __repr__(self) -> str:
        return f"Store({self.url})"


def open_store(url: str | None = None, grid: FeatureGrid = UNAV_GRID) -> Store:
    """Open (creating or upgrading the schema) the database at ``url``, else ``LOCO_DATABASE_URL``, else
    ``<data dir>/loco.sqlite``."""
    engine = make_engine(url)
    migrate(engine)
    return Store(engine, grid)
