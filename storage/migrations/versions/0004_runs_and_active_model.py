"""the database as the only index of runs and of the active model

Runs gain their feature profile and label-prior weight as columns (until now they sat in the ``params`` JSON and in
index files beside the internals), videos their container name (the player's MIME type), and the active model
becomes the newest row of an append-only ``model_activation`` table (until now a JSON file in the data folder).
Existing runs are backfilled from their ``params``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

inference_run = sa.table(
    "inference_run", sa.column("id", sa.Integer), sa.column("params", sa.JSON), sa.column("profile", sa.String),
    sa.column("label_prior", sa.Float),
)


def upgrade() -> None:
    op.add_column("inference_run", sa.Column("profile", sa.String(64), nullable=True))
    op.add_column("inference_run", sa.Column("label_prior", sa.Float, nullable=False, server_default="0"))
    op.add_column("video", sa.Column("container", sa.Text, nullable=True))
    op.create_table(
        "model_activation",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("model.id", name="fk_model_activation_model_id_model"),
                  nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id", name="fk_model_activation_author_id_author"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_activation"),
    )
    connection = op.get_bind()
    for run_id, params in connection.execute(sa.select(inference_run.c.id, inference_run.c.params)).all():
        params = params or {}
        weight = (params.get("postprocess") or {}).get("label_prior_weight") or 0.0
        connection.execute(inference_run.update().where(inference_run.c.id == run_id)
                           .values(profile=params.get("profile"), label_prior=float(weight)))


def downgrade() -> None:
    op.drop_table("model_activation")
    with op.batch_alter_table("video") as batch:
        batch.drop_column("container")
    with op.batch_alter_table("inference_run") as batch:
        batch.drop_column("label_prior")
        batch.drop_column("profile")
