"""Each account's booked money per day, added to in the transaction that books it."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.db.tables import AccountDay
from kasa_servicekit.db import dialect_insert

days = AccountDay.__table__


async def add(session: AsyncSession, entries: Iterable[Mapping[str, Any]]) -> None:
    """Add booked entries (rows of ``transactions``) to their accounts' days.

    One upsert per (account, day, currency) the entries touch, in key order, so that two
    writers adding to the same days take their row locks in one order and never deadlock.
    """
    totals: dict[tuple[Any, Any, str], dict[str, Any]] = defaultdict(
        lambda: {"income": Decimal(0), "expense": Decimal(0)}
    )
    for entry in entries:
        if entry.get("account_id") is None:
            continue  # no account, no balance to keep
        key = (entry["account_id"], entry["transacted_on"], entry["currency"])
        total = totals[key]
        total["workspace_id"] = entry["workspace_id"]
        total["income" if entry["type"] == "income" else "expense"] += Decimal(entry["amount"])
    if not totals:
        return
    rows = [
        {"account_id": account, "day": day, "currency": currency, **total}
        for (account, day, currency), total in sorted(totals.items(), key=lambda kv: str(kv[0]))
    ]
    stmt = dialect_insert(session, days)
    stmt = stmt.on_conflict_do_update(
        index_elements=[days.c.account_id, days.c.day, days.c.currency],
        set_={
            "income": days.c.income + stmt.excluded.income,
            "expense": days.c.expense + stmt.excluded.expense,
        },
    )
    await session.execute(stmt, rows)
