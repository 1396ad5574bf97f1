"""Reports: cash flow over time and net worth, per currency."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.app.accounts import balances_of
from kasa_ledger.app.holdings import latest_values
from kasa_ledger.app.loans import owed
from kasa_ledger.db.tables import Account, Loan, Transaction
from kasa_ledger.domain.reports import (
    Flow,
    Position,
    by_currency,
    cash_flow,
    check_period,
    positions,
)


async def cash_flow_between(
    session: AsyncSession, workspace_id: UUID, start: date, end: date
) -> dict[tuple[str, str], Flow]:
    """Inflow, outflow and net per (month, currency), with the net by category."""
    check_period(start, end)
    stmt = (
        select(
            Transaction.transacted_on,
            Transaction.currency,
            Transaction.type,
            Transaction.category,
            func.sum(Transaction.amount),
        )
        .where(
            Transaction.workspace_id == workspace_id,
            Transaction.transacted_on >= start,
            Transaction.transacted_on <= end,
        )
        .group_by(
            Transaction.transacted_on,
            Transaction.currency,
            Transaction.type,
            Transaction.category,
        )
    )
    rows = [(d, c, t, cat, Decimal(s)) for d, c, t, cat, s in await session.execute(stmt)]
    return cash_flow(rows)


async def net_worth_on(session: AsyncSession, workspace_id: UUID, day: date) -> list[Position]:
    """Accounts plus assets, minus liabilities and loan principal still owed, per currency."""
    accounts = list(
        await session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    )
    balances = await balances_of(session, accounts, until=day)
    held = by_currency(
        (currency, amount)
        for per_currency in balances.values()
        for currency, amount in per_currency.items()
    )
    loans = await session.scalars(select(Loan).where(Loan.workspace_id == workspace_id))
    debts = by_currency((loan.currency, owed(loan, day)) for loan in loans)
    assets = await latest_values(session, workspace_id, "asset", day)
    liabilities = await latest_values(session, workspace_id, "liability", day)
    return positions(held, assets, liabilities, debts)
