"""Syncs remember the event of the user's request and who asked to cancel

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_event_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("cancel_requested_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.drop_column("cancel_requested_by")
        batch_op.drop_column("request_event_id")
