"""Writing the trail in the consumer's transaction: archived envelopes, chained entries and
the chain heads they move."""

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.db import chain
from kasa_audit.db.tables import ArchivedEvent, AuditEntry


class Trail:
    """The trail's tables, in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def archive(self, rows: Sequence[dict[str, Any]]) -> None:
        await self.session.execute(insert(ArchivedEvent.__table__), rows)

    async def lock_heads(self, workspace_ids: Iterable[UUID]) -> dict[UUID, Any]:
        """The heads (``seq``, ``hash``) of these workspaces, locked until the commit."""
        return await chain.lock_heads(self.session, workspace_ids)

    async def add_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        await self.session.execute(insert(AuditEntry.__table__), rows)

    async def save_heads(self, moved: dict[UUID, tuple[int, str]]) -> None:
        await chain.save_heads(self.session, moved)
