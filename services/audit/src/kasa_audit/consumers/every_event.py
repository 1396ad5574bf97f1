"""``#`` → the verbatim archive and one chained audit entry per event.

``handle`` applies one event (the service kit has already claimed it in the inbox);
``handle_many`` claims and applies a whole batch in the caller's one transaction, which is
how the audit consumer keeps up with every event of every service (see ``batching.py``).
"""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.context import Context
from pydantic import Field
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.chain_anchors import ANCHOR_ROUTING_KEY
from kasa_audit.db.chain import lock_heads, save_heads
from kasa_audit.db.tables import ArchivedEvent, AuditEntry
from kasa_audit.domain.chain import link
from kasa_audit.domain.entries import describe
from kasa_contracts import Envelope, RawEnvelope
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.tables import inbox
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
    await append(session, [(event, current_trace_id())])


async def handle_many(
    session: AsyncSession, consumer: str, events: Sequence[tuple[ArchivedEnvelope, str | None]]
) -> set[UUID]:
    """Claim the batch in the inbox and apply the events not seen before; their ids.

    ``events`` pairs each envelope with the trace id it travelled with.
    """
    unique = list({event.event_id: (event, trace) for event, trace in events}.values())
    now = utcnow()
    rows = [{"consumer": consumer, "event_id": e.event_id, "processed_at": now} for e, _ in unique]
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claim = dialect_insert(inbox).values(rows).on_conflict_do_nothing()
    claimed = set((await session.execute(claim.returning(inbox.c.event_id))).scalars())
    await append(session, [(e, trace) for e, trace in unique if e.event_id in claimed])
    return claimed


async def append(
    session: AsyncSession, events: Sequence[tuple[ArchivedEnvelope, str | None]]
) -> None:
    """Archive the envelopes and chain one entry per event (but anchors) onto its trail."""
    if not events:
        return
    archive_rows = [
        {
            "event_id": event.event_id,
            "routing_key": event.routing_key,
            "workspace_id": event.workspace_id,
            "occurred_at": event.occurred_at,
            "body": event.body,
        }
        for event, _ in events
    ]
    await session.execute(insert(ArchivedEvent.__table__), archive_rows)
    # Audit's own chain anchors are archived but not chained: an anchor entry would move the
    # head it anchors, and the next anchoring round would anchor that, forever.
    chained = [(e, trace_id) for e, trace_id in events if e.routing_key != ANCHOR_ROUTING_KEY]
    if not chained:
        return
    heads = await lock_heads(session, (event.workspace_id for event, _ in chained))
    moved: dict[UUID, tuple[int, str]] = {ws: (head.seq, head.hash) for ws, head in heads.items()}
    recorded_at = utcnow()
    entry_rows = []
    for event, trace_id in chained:
        seq, prev_hash = moved[event.workspace_id]
        fields: dict[str, Any] = {
            "id": new_id(),
            "event_id": event.event_id,
            "workspace_id": event.workspace_id,
            "seq": seq + 1,
            "occurred_at": event.occurred_at,
            "recorded_at": recorded_at,
            "event_type": event.event_type,
            "event_version": event.event_version,
            "service": event.producer,
            "actor_type": event.actor.type,
            "actor_id": event.actor.id,
            "actor_name": event.actor.name,
            "correlation_id": event.correlation_id,
            "causation_id": event.causation_id,
            "trace_id": trace_id,
            **describe(event),
        }
        entry_hash = link(prev_hash, fields)
        entry_rows.append({**fields, "prev_hash": prev_hash, "hash": entry_hash})
        moved[event.workspace_id] = (seq + 1, entry_hash)
    await session.execute(insert(AuditEntry.__table__), entry_rows)
    await save_heads(session, moved)


async def handle_batch(
    session: AsyncSession, consumer: str, events: Sequence[tuple[Envelope[Any], Context]]
) -> set[UUID]:
    """The batch form of ``handle``, for the kit's batching consumer."""
    traced = []
    for event, trace_context in events:
        assert isinstance(event, ArchivedEnvelope)
        span = trace.get_current_span(trace_context).get_span_context()
        traced.append((event, format(span.trace_id, "032x") if span.is_valid else None))
    return await handle_many(session, consumer, traced)
