"""Writing new entries: the natural key decides whether a movement is new."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_ledger.db import day_totals
from kasa_ledger.db.tables import Transaction
from kasa_ledger.domain.booking import NATURAL_KEY
from kasa_servicekit.db import dialect_insert


async def insert_entries(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> set[UUID]:
    """Insert entries, and add them to their days; the ids of those whose natural
    key was new.

    ``ON CONFLICT DO NOTHING`` on the natural key keeps a movement booked once, also when two
    consumers book it at the same moment. The rows must name the same columns; they go as
    parameters of one cached statement, sent as multi-row pages.
    """
    if not rows:
        return set()
    table = Transaction.__table__
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing(index_elements=list(NATURAL_KEY))
        .returning(table.c.id)
    )
    inserted = set((await session.execute(stmt, [dict(row) for row in rows])).scalars())
    await day_totals.add(session, (row for row in rows if row["id"] in inserted))
    return inserted
