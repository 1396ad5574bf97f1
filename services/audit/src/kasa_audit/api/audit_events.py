"""GET /api/v1/audit-events: the workspace's trail, newest first, filtered."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, or_, select

from kasa_audit.db.tables import AuditEntry
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


class ActorOut(BaseModel):
    type: str
    id: str
    name: str | None


class AuditEntryOut(BaseModel):
    """One change: who made it, from which source, to what, and where it sits in the chain."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    event_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    event_type: str
    event_version: int
    service: str
    actor: ActorOut
    source: dict[str, Any]
    entity_type: str
    entity_id: str | None
    action: str
    changes: dict[str, Any]
    correlation_id: str | None
    causation_id: UUID | None
    trace_id: str | None
    seq: int
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        actor = ActorOut(type=entry.actor_type, id=entry.actor_id, name=entry.actor_name)
        fields = {name: getattr(entry, name) for name in cls.model_fields if name != "actor"}
        return cls(actor=actor, **fields)


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


Filters = Annotated[AuditFilters, Depends()]


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit_events(
    principal: CurrentPrincipal,
    db: Db,
    filters: Filters,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    stmt = filters.select(principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [AuditEntry.id], limit=limit, cursor=cursor
        )
    return Page(items=[AuditEntryOut.of(r) for r in rows], next_cursor=next_cursor)
