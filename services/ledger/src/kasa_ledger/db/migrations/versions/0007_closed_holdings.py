"""closed holdings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "closed_on",
                sa.Date(),
                nullable=True,
                comment="sold, paid off or written off: from this day on it no longer counts",
            )
        )
        batch_op.add_column(sa.Column("close_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_column("close_reason")
        batch_op.drop_column("closed_on")
