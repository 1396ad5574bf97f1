"""Finding entries of a workspace's trail: the filters the list and the export share."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, or_, select

from kasa_audit.db.tables import AuditEntry
from kasa_servicekit.db import Database
from kasa_servicekit.pagination import keyset_page


@dataclass
class AuditFilters:
    """Query filters shared by the list and the export; each one narrows the result."""

    event_type: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    actor_type: str | None = None
    actor_id: str | None = None
    source: str | None = None
    """A service name or a plugin name."""
    correlation_id: str | None = None
    since: datetime | None = None
    """Occurred at or after."""
    until: datetime | None = None
    """Occurred before."""

    def select(self, workspace_id: UUID) -> Select[tuple[AuditEntry]]:
        stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
        equal = {
            AuditEntry.event_type: self.event_type,
            AuditEntry.entity_type: self.entity_type,
            AuditEntry.entity_id: self.entity_id,
            AuditEntry.actor_type: self.actor_type,
            AuditEntry.actor_id: self.actor_id,
            AuditEntry.correlation_id: self.correlation_id,
        }
        for column, value in equal.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if self.source is not None:
            stmt = stmt.where(
                or_(AuditEntry.service == self.source, AuditEntry.source_plugin == self.source)
            )
        if self.since:
            stmt = stmt.where(AuditEntry.occurred_at >= self.since)
        if self.until:
            stmt = stmt.where(AuditEntry.occurred_at < self.until)
        return stmt


class Entries:
    """A workspace's entries: one by its id, or pages of them newest first."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, workspace_id: UUID, entry_id: UUID) -> AuditEntry | None:
        """One entry of the workspace's trail; none for another workspace's."""
        async with self.db.sessions() as session:
            entry = await session.get(AuditEntry, entry_id)
        return entry if entry is not None and entry.workspace_id == workspace_id else None

    async def page(
        self, workspace_id: UUID, filters: AuditFilters, limit: int, cursor: str | None
    ) -> tuple[Sequence[AuditEntry], str | None]:
        """One page and the cursor of the next (``None`` on the last)."""
        async with self.db.sessions() as session:
            return await keyset_page(
                session, filters.select(workspace_id), [AuditEntry.id], limit=limit, cursor=cursor
            )
