"""Accounts: added by hand or seen in imports, with balances derived from the transactions."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff, snapshot
from kasa_contracts.events.ledger import AccountUpdated
from kasa_ledger.db.queries import in_workspace
from kasa_ledger.db.tables import Account, AccountDay
from kasa_ledger.domain.accounts import EDITABLE, account_created, edits, manual_account
from kasa_ledger.domain.errors import NotFound
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id

Balances = dict[UUID, dict[str, Decimal]]
"""Per account, the money on it per currency."""


def _days(account: Account, until: date | None) -> Select[Any]:
    """The account's days that its balance on ``until`` is made of: corrections and voids are
    entries of their own. Summed in Python: totals are exact decimals on every backend."""
    stmt = select(AccountDay.day, AccountDay.currency, AccountDay.income, AccountDay.expense).where(
        AccountDay.workspace_id == account.workspace_id, AccountDay.account_id == account.id
    )
    if until is not None:
        stmt = stmt.where(AccountDay.day <= until)
    if account.opening_date is not None:
        # The opening balance already holds what happened before its date.
        stmt = stmt.where(AccountDay.day >= account.opening_date)
    return stmt


async def balances_of(
    session: AsyncSession, accounts: list[Account], *, until: date | None = None
) -> Balances:
    """Balances derived from the booked entries, never stored: corrections and voids included.

    Read from the accounts' days, so the cost grows with the days an account was used, not
    with its transactions.
    """
    totals: Balances = defaultdict(lambda: defaultdict(Decimal))
    for account in accounts:
        totals[account.id][account.currency] += account.opening_balance
    for account in accounts:
        for _, currency, income, expense in await session.execute(_days(account, until)):
            totals[account.id][currency] += income - expense
    return totals


async def balances_on(
    session: AsyncSession, accounts: list[Account], days: list[date]
) -> dict[date, Balances]:
    """The balances of ``balances_of`` on each of ``days``, read once per account."""
    series: dict[date, Balances] = {}
    for day in days:
        series[day] = defaultdict(lambda: defaultdict(Decimal))
        for account in accounts:
            series[day][account.id][account.currency] += account.opening_balance
    if not days:
        return series
    for account in accounts:
        for booked_on, currency, income, expense in await session.execute(
            _days(account, max(days))
        ):
            for day in days:
                if booked_on <= day:
                    series[day][account.id][currency] += income - expense
    return series


def listing(workspace_id: UUID) -> Select[tuple[Account]]:
    """The workspace's accounts, as a query to page through."""
    return select(Account).where(Account.workspace_id == workspace_id)


async def account(session: AsyncSession, workspace_id: UUID, account_id: UUID) -> Account:
    found = await in_workspace(session, Account, account_id, workspace_id)
    if found is None:
        raise NotFound("account")
    return found


async def create(
    session: AsyncSession, principal: Principal, fields: Mapping[str, Any], events: EventWriter
) -> Account:
    """Add a manual account: cash, a wallet, or a bank the ledger does not sync."""
    row = manual_account(principal.workspace_id, fields, account_id=new_id(), created_at=utcnow())
    created = Account(**row)
    session.add(created)
    await session.flush()
    await events.write(session, account_created(row), on=principal)
    return created


async def update(
    session: AsyncSession,
    principal: Principal,
    account_id: UUID,
    requested: Mapping[str, Any],
    events: EventWriter,
) -> Account:
    """Rename an account or restate its opening balance and date."""
    changed = await account(session, principal.workspace_id, account_id)
    before = snapshot(changed, EDITABLE)
    for name, value in edits(requested).items():
        setattr(changed, name, value)
    changes = diff(before, snapshot(changed, EDITABLE))
    if changes:
        await events.write(
            session, AccountUpdated(account_id=changed.id, changes=changes), on=principal
        )
    await session.flush()
    return changed
