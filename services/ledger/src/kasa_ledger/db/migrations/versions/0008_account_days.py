"""account days: each account's booked money per day, so balances do not scan transactions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kasa_servicekit.db import Money

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_days",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("income", Money(), nullable=False),
        sa.Column("expense", Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "day", "currency", name=op.f("pk_account_days")),
    )
    op.create_index(
        "ix_account_days_workspace", "account_days", ["workspace_id", "account_id", "day"]
    )
    # What was booked before this version, added up once.
    op.execute(
        """
        INSERT INTO account_days (account_id, day, currency, workspace_id, income, expense)
        SELECT account_id, transacted_on, currency, workspace_id,
               SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END),
               SUM(CASE WHEN type = 'income' THEN 0 ELSE amount END)
        FROM transactions
        WHERE account_id IS NOT NULL
        GROUP BY account_id, transacted_on, currency, workspace_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_account_days_workspace", table_name="account_days")
    op.drop_table("account_days")
