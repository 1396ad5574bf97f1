"""``#`` → the verbatim archive and one audit entry per event."""

import json
from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.db.tables import ArchivedEvent, AuditEntry
from kasa_audit.domain.entries import describe
from kasa_contracts import Envelope, RawEnvelope
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.tracing import current_trace_id


class ArchivedEnvelope(RawEnvelope):
    body: str = Field(exclude=True, description="the message body exactly as published")


def parse(body: bytes) -> ArchivedEnvelope:
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("a message must be a JSON object")
    return ArchivedEnvelope.model_validate({**data, "body": body.decode()})


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    assert isinstance(event, ArchivedEnvelope)
    session.add(
        ArchivedEvent(
            event_id=event.event_id,
            routing_key=event.routing_key,
            workspace_id=event.workspace_id,
            occurred_at=event.occurred_at,
            body=event.body,
        )
    )
    session.add(
        AuditEntry(
            id=new_id(),
            event_id=event.event_id,
            workspace_id=event.workspace_id,
            occurred_at=event.occurred_at,
            recorded_at=utcnow(),
            event_type=event.event_type,
            event_version=event.event_version,
            service=event.producer,
            actor_type=event.actor.type,
            actor_id=event.actor.id,
            actor_name=event.actor.name,
            correlation_id=event.correlation_id,
            causation_id=event.causation_id,
            trace_id=current_trace_id(),
            **describe(event),
        )
    )
