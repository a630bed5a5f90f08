"""default taxonomy: the 100 UnAV-100 classes (assets/taxonomy/unav100_classes.json) in a new project

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.taxonomy import class_rows, load_taxonomy_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

class_label = sa.table(
    "class_label",
    sa.column("label_id", sa.Integer),
    sa.column("name", sa.Text),
    sa.column("name_sha256", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(class_label)).scalar_one() == 0:
        op.bulk_insert(class_label, class_rows(load_taxonomy_file()))


def downgrade() -> None:
    op.execute(class_label.delete())
