"""gestures: the revisions one correction wrote share a gesture id, so an undo reverts them together

Until now a merge or a split wrote two revisions that nothing tied together, so undoing a merge restored the kept
event and left the absorbed one deleted. A ``gesture`` row (action, author, time, and for an undo or redo the
gesture it reverted) now names each correction, and ``event_revision.gesture_id`` points at it. Existing revisions
keep no gesture: they can still be undone one event at a time. The new table is append-only like the revisions.

Adding a nullable column changes no existing row, so the append-only triggers on ``event_revision`` stay as they
are; on SQLite the downgrade rebuilds the table and therefore re-creates its triggers around the rebuild.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MESSAGE = "append-only: {table} rows cannot be changed or deleted"
FK_NAME = "fk_event_revision_gesture_id_gesture"
INDEX_NAME = "ix_event_revision_gesture_id"


def _sqlite_triggers(table: str) -> list[str]:
    message = MESSAGE.format(table=table)
    return [f"CREATE TRIGGER {table}_no_{kind} BEFORE {kind.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for kind in ("update", "delete")]


def _postgres_triggers(table: str) -> list[str]:
    # loco_refuse_change() is the function migration 0003 created for every append-only table
    return [f"CREATE TRIGGER {table}_no_{kind} BEFORE {kind.upper()} ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION loco_refuse_change()" for kind in ("update", "delete")]


def _drop_triggers(table: str, dialect: str) -> None:
    for kind in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}" + (f" ON {table}" if dialect == "postgresql" else ""))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "gesture",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reverts_id", sa.Integer, nullable=True),
        sa.Column("author_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["author.id"], name="fk_gesture_author_id_author"),
        sa.ForeignKeyConstraint(["reverts_id"], ["gesture.id"], name="fk_gesture_reverts_id_gesture"),
        sa.PrimaryKeyConstraint("id", name="pk_gesture"),
    )
    if dialect == "sqlite":
        # SQLite adds a column with an inline named REFERENCES clause; a separate ADD CONSTRAINT does not exist there
        op.execute(f"ALTER TABLE event_revision ADD COLUMN gesture_id INTEGER "
                   f"CONSTRAINT {FK_NAME} REFERENCES gesture (id)")
    else:
        op.add_column("event_revision", sa.Column("gesture_id", sa.Integer, nullable=True))
        op.create_foreign_key(FK_NAME, "event_revision", "gesture", ["gesture_id"], ["id"])
    op.create_index(INDEX_NAME, "event_revision", ["gesture_id"])
    if dialect == "sqlite":
        for statement in _sqlite_triggers("gesture"):
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _postgres_triggers("gesture"):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers("gesture", dialect)
    op.drop_index(INDEX_NAME, table_name="event_revision")
    if dialect == "sqlite":
        _drop_triggers("event_revision", dialect)  # the rebuild below would drop them with the old table
        with op.batch_alter_table("event_revision") as batch:
            batch.drop_column("gesture_id")
        for statement in _sqlite_triggers("event_revision"):
            op.execute(statement)
    else:
        op.drop_constraint(FK_NAME, "event_revision", type_="foreignkey")
        op.drop_column("event_revision", "gesture_id")
    op.drop_table("gesture")
