"""GET /api/v1/audit-events: the workspace's trail, newest first."""

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

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

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        actor = ActorOut(type=entry.actor_type, id=entry.actor_id, name=entry.actor_name)
        fields = {name: getattr(entry, name) for name in cls.model_fields if name != "actor"}
        return cls(actor=actor, **fields)


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit_events(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    event_type: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_type: str | None = None,
    actor_id: str | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntryOut]:
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == principal.workspace_id)
    filters = {
        AuditEntry.event_type: event_type,
        AuditEntry.entity_type: entity_type,
        AuditEntry.entity_id: entity_id,
        AuditEntry.actor_type: actor_type,
        AuditEntry.actor_id: actor_id,
        AuditEntry.correlation_id: correlation_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if since:
        stmt = stmt.where(AuditEntry.occurred_at >= since)
    if until:
        stmt = stmt.where(AuditEntry.occurred_at < until)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [AuditEntry.id], limit=limit, cursor=cursor
        )
    return Page(items=[AuditEntryOut.of(r) for r in rows], next_cursor=next_cursor)
