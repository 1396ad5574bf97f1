"""Writing the trail in the consumer's transaction: archived envelopes, chained entries and
the chain heads they move."""

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.db import chain
from kasa_audit.db.tables import ArchivedEvent, AuditEntry
from kasa_servicekit.db import dialect_insert


class Trail:
    """The trail's tables, in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def archive(self, rows: Sequence[dict[str, Any]]) -> set[UUID]:
        """Archive the envelopes not archived before; their ids.

        The archive keeps every event id once, for good: it is audit's inbox. One
        ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` over the batch, its rows as parameters.
        """
        table = ArchivedEvent.__table__
        stmt = dialect_insert(self.session, table).on_conflict_do_nothing()
        return set((await self.session.execute(stmt.returning(table.c.event_id), rows)).scalars())

    async def lock_heads(self, workspace_ids: Iterable[UUID]) -> dict[UUID, Any]:
        """The heads (``seq``, ``hash``) of these workspaces, locked until the commit."""
        return await chain.lock_heads(self.session, workspace_ids)

    async def add_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        await self.session.execute(insert(AuditEntry.__table__), rows)

    async def save_heads(self, moved: dict[UUID, tuple[int, str]]) -> None:
        await chain.save_heads(self.session, moved)
