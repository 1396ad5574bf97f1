"""Booked money added up per day, in the transaction that books it or moves its category.

``account_days`` feeds the balances, ``flow_days`` the cash-flow report: both read days, so
their cost grows with the days a workspace was used, never with its transactions.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.db.tables import AccountDay, FlowDay, Transaction
from kasa_servicekit.db import dialect_insert

account_days = AccountDay.__table__
flow_days = FlowDay.__table__


async def add(session: AsyncSession, entries: Iterable[Mapping[str, Any]]) -> None:
    """Add booked entries (rows of ``transactions``) to their days."""
    by_account: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"income": Decimal(0), "expense": Decimal(0)}
    )
    flows: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for entry in entries:
        amount = Decimal(entry["amount"])
        flow = (entry["workspace_id"], entry["transacted_on"], entry["currency"], entry["type"])
        flows[(*flow, entry.get("category") or "")] += amount
        if entry.get("account_id") is None:
            continue  # no account, no balance to keep
        day = by_account[(entry["account_id"], entry["transacted_on"], entry["currency"])]
        day["workspace_id"] = entry["workspace_id"]
        day["income" if entry["type"] == "income" else "expense"] += amount
    if by_account:
        rows = [
            {"account_id": account, "day": day, "currency": currency, **total}
            for (account, day, currency), total in by_account.items()
        ]
        await _upsert(session, account_days, rows, ("income", "expense"))
    await _add_flows(session, flows)


async def recategorize(
    session: AsyncSession, moves: Iterable[tuple[Transaction, str | None]]
) -> None:
    """Move entries' money from the category they had (``(entry, old category)``) to the one
    they have now."""
    flows: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for tx, before in moves:
        if (before or "") == (tx.category or ""):
            continue
        day = (tx.workspace_id, tx.transacted_on, tx.currency, tx.type)
        flows[(*day, before or "")] -= tx.amount
        flows[(*day, tx.category or "")] += tx.amount
    await _add_flows(session, flows)


async def _add_flows(session: AsyncSession, flows: Mapping[tuple[Any, ...], Decimal]) -> None:
    rows = [
        {"workspace_id": ws, "day": day, "currency": cur, "type": kind, "category": cat, "total": t}
        for (ws, day, cur, kind, cat), t in flows.items()
    ]
    if rows:
        await _upsert(session, flow_days, rows, ("total",))


async def _upsert(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], sums: tuple[str, ...]
) -> None:
    # In key order, so that two writers adding to the same days take their row locks in one
    # order and never deadlock.
    keys = [column.name for column in table.primary_key.columns]
    rows.sort(key=lambda row: tuple(str(row[k]) for k in keys))
    stmt = dialect_insert(session, table)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps money as integers of 1/10000 and turns a sum beyond 64 bits into a
        # float: add in Python instead. Its one writer at a time makes read-then-write safe.
        await _add_stored(session, table, rows, keys, sums)
        totals = {name: stmt.excluded[name] for name in sums}
    else:
        totals = {name: table.c[name] + stmt.excluded[name] for name in sums}
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=totals), rows)


async def _add_stored(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    keys: list[str],
    sums: tuple[str, ...],
) -> None:
    """Add to each row what its day already holds."""
    stored = select(*(table.c[name] for name in sums)).where(
        *(table.c[key] == bindparam(f"k_{key}") for key in keys)
    )
    for row in rows:
        found = (await session.execute(stored, {f"k_{k}": row[k] for k in keys})).first()
        if found is not None:
            for name, value in zip(sums, found, strict=True):
                row[name] = row[name] + value
