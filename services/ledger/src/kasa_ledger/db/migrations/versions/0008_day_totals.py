"""day totals: booked money per account and day, and per category and day, so balances and
the cash-flow report do not scan transactions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from kasa_servicekit.db import Money, MoneyTotal

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
        sa.Column("income", MoneyTotal(), nullable=False),
        sa.Column("expense", MoneyTotal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "day", "currency", name=op.f("pk_account_days")),
    )
    op.create_index(
        "ix_account_days_workspace", "account_days", ["workspace_id", "account_id", "day"]
    )
    op.create_table(
        "flow_days",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("total", MoneyTotal(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "day", "currency", "type", "category", name=op.f("pk_flow_days")
        ),
    )
    _add_up_what_was_booked()


ACCOUNT_DAYS_FROM_ENTRIES = """
    INSERT INTO account_days (account_id, day, currency, workspace_id, income, expense)
    SELECT account_id, transacted_on, currency, workspace_id,
           SUM(CASE WHEN type = 'income' THEN amount ELSE 0 END),
           SUM(CASE WHEN type = 'income' THEN 0 ELSE amount END)
    FROM transactions
    WHERE account_id IS NOT NULL
    GROUP BY account_id, transacted_on, currency, workspace_id
"""
FLOW_DAYS_FROM_ENTRIES = """
    INSERT INTO flow_days (workspace_id, day, currency, type, category, total)
    SELECT workspace_id, transacted_on, currency, type, COALESCE(category, ''), SUM(amount)
    FROM transactions
    GROUP BY workspace_id, transacted_on, currency, type, COALESCE(category, '')
"""


def _add_up_what_was_booked() -> None:
    """What was booked before this version, added up once."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute(ACCOUNT_DAYS_FROM_ENTRIES)
        op.execute(FLOW_DAYS_FROM_ENTRIES)
        return
    # SQLite sums integers of 1/10000 only up to 64 bits: add the embedded database's
    # (small) ledger up in Python, exactly.
    entries = sa.table(
        "transactions",
        sa.column("workspace_id", sa.Uuid()),
        sa.column("account_id", sa.Uuid()),
        sa.column("transacted_on", sa.Date()),
        sa.column("currency", sa.String()),
        sa.column("type", sa.String()),
        sa.column("category", sa.String()),
        sa.column("amount", Money()),
    )
    accounts: dict[tuple, dict] = defaultdict(lambda: {"income": Decimal(0), "expense": Decimal(0)})
    flows: dict[tuple, Decimal] = defaultdict(Decimal)
    for ws, account, day, currency, kind, category, amount in bind.execute(sa.select(entries)):
        flows[(ws, day, currency, kind, category or "")] += amount
        if account is not None:
            totals = accounts[(account, day, currency)]
            totals["workspace_id"] = ws
            totals["income" if kind == "income" else "expense"] += amount
    account_days = sa.table(
        "account_days",
        sa.column("account_id", sa.Uuid()),
        sa.column("day", sa.Date()),
        sa.column("currency", sa.String()),
        sa.column("workspace_id", sa.Uuid()),
        sa.column("income", MoneyTotal()),
        sa.column("expense", MoneyTotal()),
    )
    flow_days = sa.table(
        "flow_days",
        sa.column("workspace_id", sa.Uuid()),
        sa.column("day", sa.Date()),
        sa.column("currency", sa.String()),
        sa.column("type", sa.String()),
        sa.column("category", sa.String()),
        sa.column("total", MoneyTotal()),
    )
    if accounts:
        op.bulk_insert(
            account_days,
            [{"account_id": a, "day": d, "currency": c, **t} for (a, d, c), t in accounts.items()],
        )
    if flows:
        op.bulk_insert(
            flow_days,
            [
                {"workspace_id": w, "day": d, "currency": c, "type": k, "category": g, "total": t}
                for (w, d, c, k, g), t in flows.items()
            ],
        )


def downgrade() -> None:
    op.drop_table("flow_days")
    op.drop_index("ix_account_days_workspace", table_name="account_days")
    op.drop_table("account_days")
