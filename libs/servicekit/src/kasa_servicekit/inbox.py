"""The inbox: a consumer claims each event once, inside the transaction of its effect."""

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_servicekit.db import dialect_insert, insert_if_absent, utcnow
from kasa_servicekit.tables import inbox


async def claim(session: AsyncSession, consumer: str, event_id: UUID) -> bool:
    """Record that ``consumer`` handles ``event_id``; False when it already has.

    Call it in the same transaction as the handler's writes: if the handler fails, the claim
    rolls back with them, and a duplicate delivery finds the claim and does nothing.
    """
    return await insert_if_absent(
        session,
        inbox,
        {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()},
        ["consumer", "event_id"],
    )


async def claim_many(session: AsyncSession, consumer: str, event_ids: Iterable[UUID]) -> set[UUID]:
    """Claim many events at once, for batch handlers; the ids not claimed before.

    One ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` run over all the rows: the same
    guarantees as ``claim`` for each id, in the caller's transaction. The rows go as
    parameters, never into the statement, so it is compiled once per process and sent as
    multi-row pages (SQLAlchemy's "insertmanyvalues").
    """
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    now = utcnow()
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in unique
    ]
    stmt = dialect_insert(session, inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
    return set((await session.execute(stmt, rows)).scalars())
