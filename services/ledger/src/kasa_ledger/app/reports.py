"""Reports: cash flow over time and net worth, per currency."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.app.accounts import balances_on
from kasa_ledger.app.holdings import latest_values
from kasa_ledger.app.loans import owed
from kasa_ledger.db.tables import Account, FlowDay, Loan
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
    stmt = select(
        FlowDay.day, FlowDay.currency, FlowDay.type, FlowDay.category, FlowDay.total
    ).where(FlowDay.workspace_id == workspace_id, FlowDay.day >= start, FlowDay.day <= end)
    # Read from the days the bookings keep, not from the transactions: the cost follows the
    # period's days, not how much money moved in it.
    rows = [(d, c, t, cat or None, Decimal(s)) for d, c, t, cat, s in await session.execute(stmt)]
    return cash_flow(rows)


async def net_worth_on(session: AsyncSession, workspace_id: UUID, day: date) -> list[Position]:
    """Accounts plus assets, minus liabilities and loan principal still owed, per currency."""
    return (await net_worth_series(session, workspace_id, [day]))[day]


async def net_worth_series(
    session: AsyncSession, workspace_id: UUID, days: list[date]
) -> dict[date, list[Position]]:
    """The net worth of ``net_worth_on`` on each of ``days``, read once for all of them."""
    accounts = list(
        await session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    )
    balances = await balances_on(session, accounts, days)
    loans = list(await session.scalars(select(Loan).where(Loan.workspace_id == workspace_id)))
    assets = await latest_values(session, workspace_id, "asset", days)
    liabilities = await latest_values(session, workspace_id, "liability", days)
    series = {}
    for day in days:
        held = by_currency(
            (currency, amount)
            for per_currency in balances[day].values()
            for currency, amount in per_currency.items()
        )
        debts = by_currency((loan.currency, owed(loan, day)) for loan in loans)
        series[day] = positions(held, assets[day], liabilities[day], debts)
    return series
