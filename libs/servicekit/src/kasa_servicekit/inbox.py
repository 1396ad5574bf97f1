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

    One multi-row ``INSERT … ON CONFLICT DO NOTHING … RETURNING``: the same guarantees as
    ``claim`` for each id, in the caller's transaction.
    """
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    now = utcnow()
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in unique
    ]
    stmt = (
        dialect_insert(session, inbox)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return set((await session.execute(stmt)).scalars())
