"""day totals: booked money per account and day, and per category and day, so balances and
the cash-flow report do not scan transactions

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

    op.create_table(
        "flow_days",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "day", "currency", "type", "category", name=op.f("pk_flow_days")
        ),
    )
    op.execute(
        """
        INSERT INTO flow_days (workspace_id, day, currency, type, category, total)
        SELECT workspace_id, transacted_on, currency, type, COALESCE(category, ''), SUM(amount)
        FROM transactions
        GROUP BY workspace_id, transacted_on, currency, type, COALESCE(category, '')
        """
    )


def downgrade() -> None:
    op.drop_table("flow_days")
    op.drop_index("ix_account_days_workspace", table_name="account_days")
    op.drop_table("account_days")
