"""Reading the permanent archive back: envelopes in publish order, filtered."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, or_, select, tuple_

from kasa_audit.db.tables import ArchivedEvent
from kasa_servicekit.db import Database


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}.v%"


def archived_events(
    since: datetime | None,
    until: datetime | None,
    event_types: Sequence[str],
    workspace_id: UUID | None,
) -> Select[tuple[ArchivedEvent]]:
    """The archive filtered by time (``since`` ≤ occurred_at < ``until``), type and workspace.

    An event type matches every version (``ledger.transaction.recorded``) unless it names one
    (``ledger.transaction.recorded.v1``).
    """
    stmt = select(ArchivedEvent)
    if since:
        stmt = stmt.where(ArchivedEvent.occurred_at >= since)
    if until:
        stmt = stmt.where(ArchivedEvent.occurred_at < until)
    if workspace_id:
        stmt = stmt.where(ArchivedEvent.workspace_id == workspace_id)
    if event_types:
        key = ArchivedEvent.routing_key
        stmt = stmt.where(
            or_(
                key.in_(event_types),
                *(key.like(_like_prefix(t), escape="\\") for t in event_types),
            )
        )
    return stmt


async def archive_page(
    db: Database,
    stmt: Select[tuple[ArchivedEvent]],
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> tuple[list[ArchivedEvent], bool]:
    """Up to ``limit`` archived events after the position ``after``; and whether more remain."""
    order = (ArchivedEvent.occurred_at, ArchivedEvent.event_id)
    if after:
        stmt = stmt.where(tuple_(*order) > tuple_(*after))
    async with db.sessions() as session:
        rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    return rows[:limit], len(rows) > limit
