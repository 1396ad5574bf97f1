"""An audit entry as the API shows it, and the query filters the list and the export share."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from pydantic import BaseModel, ConfigDict

from kasa_audit.db.entries import AuditFilters
from kasa_audit.db.tables import AuditEntry


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


Filters = Annotated[AuditFilters, Depends()]
