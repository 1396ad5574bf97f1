"""Allocating the next invoice number of a workspace and year."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_invoicing.db.tables import InvoiceCounter
from kasa_servicekit.db import dialect_insert


async def next_sequence(session: AsyncSession, workspace_id: UUID, year: int) -> int:
    """The next sequence number of ``year``: 1, 2, 3… with no gap and no repeat.

    One upsert creates the year's counter row or increments it. On PostgreSQL the ``ON
    CONFLICT DO UPDATE`` takes the row lock that ``SELECT … FOR UPDATE`` would, and holds it
    until the caller's transaction ends: a concurrent issue waits, then reads the committed
    value. If the caller rolls back, so does the increment, so no number is lost. On SQLite
    the database's single write lock gives the same order.
    """
    stmt = (
        dialect_insert(session, InvoiceCounter)
        .values(workspace_id=workspace_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[InvoiceCounter.workspace_id, InvoiceCounter.year],
            set_={"last_number": InvoiceCounter.last_number + 1},
        )
        .returning(InvoiceCounter.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())
