"""The one way a service writes events: an ``EventWriter`` bound to it at startup.

The runtime makes one writer per service, with the producer taken from the service's spec.
Use cases receive it (routes through the ``Events`` dependency, consumers as the third
argument of their handler) and call ``write`` inside the transaction of their change, so the
change and its events commit or roll back together. The outbox relay publishes them later.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.context import Context
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor, Envelope, EventPayload
from kasa_servicekit.context import causation_id_var, correlation_id_var
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.tables import outbox

OUTBOX_WRITTEN = "kasa_outbox_written"
"""Session flag: this transaction wrote events, so its commit wakes the relay."""


class Origin(Protocol):
    """Where a change happened and who made it.

    A ``Principal`` (the caller's own change), an incoming ``Envelope`` (a change an event
    caused, in its workspace and by its actor, continuing its correlation) and ``At`` all have
    this shape.
    """

    @property
    def workspace_id(self) -> UUID: ...

    @property
    def actor(self) -> Actor: ...


@dataclass(frozen=True)
class At:
    """An ``Origin`` spelled out, for changes that neither a caller nor an event made."""

    workspace_id: UUID
    actor: Actor


@dataclass(frozen=True)
class Pending:
    """One event of a batch: its payload, its origin and the trace it continues."""

    payload: EventPayload
    origin: Origin
    trace: Context | None = None


_ENVELOPES: dict[type[EventPayload], type[Envelope[Any]]] = {}


def _envelope_of(payload_type: type[EventPayload]) -> type[Envelope[Any]]:
    # pydantic looks a parametrized generic up on each subscript; a hot path keeps its own.
    envelope = _ENVELOPES.get(payload_type)
    if envelope is None:
        envelope = _ENVELOPES[payload_type] = Envelope[payload_type]
    return envelope


class EventWriter:
    """Writes one service's events into its outbox, in the caller's open transaction."""

    def __init__(self, producer: str) -> None:
        self.producer = producer

    def envelope(self, payload: EventPayload, origin: Origin) -> Envelope[Any]:
        """Wrap a payload. An event caused by an incoming ``Envelope`` continues its
        correlation and names it as the cause; otherwise both come from the current request or
        handled event."""
        if isinstance(origin, Envelope):
            correlation_id, causation_id = origin.correlation_id, origin.event_id
        else:
            correlation_id, causation_id = correlation_id_var.get(), causation_id_var.get()
        return _envelope_of(type(payload))(
            event_id=new_id(),
            event_type=payload.event_type,
            event_version=payload.event_version,
            occurred_at=utcnow(),
            producer=self.producer,
            workspace_id=origin.workspace_id,
            actor=origin.actor,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload,
        )

    async def write(
        self, session: AsyncSession, *payloads: EventPayload, on: Origin
    ) -> list[Envelope[Any]]:
        """Write events of one change made ``on`` a workspace by an actor; the envelopes."""
        return await self.write_all(session, [Pending(p, on) for p in payloads])

    async def write_all(
        self, session: AsyncSession, events: Iterable[Pending]
    ) -> list[Envelope[Any]]:
        """Write many events at once; each continues the trace it names (a batch's causes).

        An event without a trace of its own (its cause arrived without trace headers)
        continues the current one.
        """
        current = otel_context.get_current()
        written: list[Envelope[Any]] = []
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for event in events:
            envelope = self.envelope(event.payload, event.origin)
            headers: dict[str, str] = {}
            propagate.inject(headers, context=event.trace or current)
            written.append(envelope)
            rows.append(
                {
                    "id": envelope.event_id,
                    "routing_key": envelope.routing_key,
                    "workspace_id": envelope.workspace_id,
                    "body": envelope.model_dump_json(),
                    "correlation_id": envelope.correlation_id,
                    "headers": headers,
                    "created_at": now,
                }
            )
        if rows:
            await session.execute(insert(outbox), rows)
            session.sync_session.info[OUTBOX_WRITTEN] = True
        return written


class RecordedEvents(EventWriter):
    """An ``EventWriter`` for unit tests of use cases: it keeps the events instead."""

    def __init__(self, producer: str = "test") -> None:
        super().__init__(producer)
        self.written: list[Envelope[Any]] = []

    async def write_all(
        self, session: AsyncSession | None, events: Iterable[Pending]
    ) -> list[Envelope[Any]]:
        envelopes = [self.envelope(e.payload, e.origin) for e in events]
        self.written.extend(envelopes)
        return envelopes

    def payloads(self, kind: type[EventPayload] | None = None) -> Sequence[EventPayload]:
        """The payloads written so far, optionally of one type only."""
        return [e.payload for e in self.written if kind is None or isinstance(e.payload, kind)]
