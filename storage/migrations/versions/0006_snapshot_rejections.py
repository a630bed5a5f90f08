"""snapshot rejections: a snapshot also freezes the proposals a user rejected in its videos

A rejected proposal says "not this class, here": fine-tuning reads it as a hard negative (docs/model.md §8). Until now
a snapshot kept only the accepted, edited and added events, so that signal was lost. ``snapshot_rejection`` holds,
per snapshot, each rejected event's revision with its times, label and score as they were; it is append-only like the
snapshot's other tables. Existing snapshots have none, and their content hash is unchanged (storage/snapshots.py
hashes the rejections only when there are some).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "snapshot_rejection"
MESSAGE = "append-only: {table} rows cannot be changed or deleted"


def _triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        message = MESSAGE.format(table=TABLE)
        return [f"CREATE TRIGGER {TABLE}_no_{kind} BEFORE {kind.upper()} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for kind in ("update", "delete")]
    if dialect == "postgresql":  # loco_refuse_change() is the function migration 0003 created
        return [f"CREATE TRIGGER {TABLE}_no_{kind} BEFORE {kind.upper()} ON {TABLE} FOR EACH ROW "
                "EXECUTE FUNCTION loco_refuse_change()" for kind in ("update", "delete")]
    return []  # other databases: the store's own API stays append-only


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("snapshot_id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("revision_id", sa.Integer, nullable=False),
        sa.Column("video_id", sa.String(128), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("label_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name="fk_snapshot_rejection_event_id_event"),
        sa.ForeignKeyConstraint(["revision_id"], ["event_revision.id"],
                                name="fk_snapshot_rejection_revision_id_event_revision"),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"], name="fk_snapshot_rejection_snapshot_id_snapshot"),
        sa.ForeignKeyConstraint(["video_id"], ["video.id"], name="fk_snapshot_rejection_video_id_video"),
        sa.PrimaryKeyConstraint("id", name="pk_snapshot_rejection"),
    )
    op.create_index("ix_snapshot_rejection_snapshot_id", TABLE, ["snapshot_id"])
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        on_table = f" ON {TABLE}" if dialect == "postgresql" else ""
        for kind in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{kind}{on_table}")
    op.drop_index("ix_snapshot_rejection_snapshot_id", table_name=TABLE)
    op.drop_table(TABLE)
