"""append-only history in the database itself: event revisions and snapshots cannot be changed or deleted

The store never updates or deletes these rows; triggers make the database refuse it too, whoever connects (a
script, a SQL shell, a future bug). The one allowed change is the snapshot's content hash, written once in the
transaction that creates the snapshot (from '' to its value).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "append-only: {table} rows cannot be changed or deleted"
# table -> SQL condition (on OLD) under which an UPDATE is still allowed; None = never
GUARDED = {
    "event_revision": None,
    "snapshot": "OLD.annotations_sha256 = ''",
    "snapshot_video": None,
    "snapshot_item": None,
}


def _sqlite_upgrade() -> None:
    for table, allowed in GUARDED.items():
        message = MESSAGE.format(table=table)
        when = f" WHEN NOT ({allowed})" if allowed else ""
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}{when} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _postgres_upgrade() -> None:
    op.execute("""
        CREATE FUNCTION loco_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'append-only: % rows cannot be changed or deleted', TG_TABLE_NAME;
        END $$""")
    for table, allowed in GUARDED.items():
        when = f" WHEN (NOT ({allowed}))" if allowed else ""
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW{when} "
                   "EXECUTE FUNCTION loco_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION loco_refuse_change()")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgres_upgrade()
    # other databases: the store's own API stays append-only; no triggers


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return
    for table in GUARDED:
        for kind in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}" + (f" ON {table}" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS loco_refuse_change()")
