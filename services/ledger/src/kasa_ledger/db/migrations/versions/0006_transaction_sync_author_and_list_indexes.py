"""transaction sync and author, indexes for the filtered list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIST_INDEXES = {
    "ix_transactions_workspace_account_date": ["workspace_id", "account_id", "transacted_on", "id"],
    "ix_transactions_workspace_category_date": ["workspace_id", "category", "transacted_on", "id"],
    "ix_transactions_workspace_source_date": ["workspace_id", "source", "transacted_on", "id"],
    "ix_transactions_workspace_sync": ["workspace_id", "sync_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sync_id",
                sa.Uuid(),
                nullable=True,
                comment="the integrations sync run that imported it; null if entered here",
            )
        )
        batch_op.add_column(
            sa.Column(
                "recorded_by",
                sa.JSON(),
                nullable=True,
                comment="the actor who entered or corrected it by hand, or the bank that "
                "restated it",
            )
        )
        for name, columns in LIST_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        for name in LIST_INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("sync_id")
