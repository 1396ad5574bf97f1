"""``#`` → the verbatim archive and one chained audit entry per event.

``handle`` applies one event (the service kit has already claimed it in the inbox);
``handle_batch`` applies a whole batch in the caller's one transaction, which is how the audit
consumer keeps up with every event of every service. The batch needs no inbox claim of its
own: the archive, keyed by event id, tells the events new to audit from those it holds. Audit
writes no events of its own here: the writer each handler receives stays unused.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from opentelemetry import trace
from opentelemetry.context import Context
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_audit.app import trail
from kasa_audit.db.trail import Trail
from kasa_audit.domain.entries import ArchivedEnvelope
from kasa_contracts import Envelope
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.events import EventWriter
from kasa_servicekit.tracing import current_trace_id


def parse(body: bytes) -> ArchivedEnvelope:
    """Any event of any service, known to the catalog or not, with its body kept verbatim."""
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise ValueError("a message must be a JSON object")
    return ArchivedEnvelope.model_validate({**data, "body": body.decode()})


async def handle(session: AsyncSession, event: Envelope[Any], events: EventWriter) -> None:
    assert isinstance(event, ArchivedEnvelope)
    await trail.append(Trail(session), [(event, current_trace_id())])


async def handle_many(session: AsyncSession, events: Sequence[trail.Traced]) -> set[UUID]:
    """Apply the events of the batch that audit has not archived before; their ids."""
    unique = list({event.event_id: (event, trace_id) for event, trace_id in events}.values())
    return await trail.append(Trail(session), unique)


async def handle_batch(
    session: AsyncSession,
    subscription: Subscription,
    delivered: Sequence[tuple[Envelope[Any], Context]],
    events: EventWriter,
) -> set[UUID]:
    """The batch form of ``handle``, for the kit's batching consumer."""
    traced = []
    for event, trace_context in delivered:
        assert isinstance(event, ArchivedEnvelope)
        span = trace.get_current_span(trace_context).get_span_context()
        traced.append((event, format(span.trace_id, "032x") if span.is_valid else None))
    return await handle_many(session, traced)
