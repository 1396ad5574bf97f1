"""The inbox: a consumer claims each event once, inside the transaction of its effect."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_servicekit.db import insert_if_absent, utcnow
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
