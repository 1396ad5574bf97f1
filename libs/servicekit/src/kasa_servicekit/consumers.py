"""Consumers: one durable queue per purpose, idempotent handlers, retry, then park.

A handler is a plain async function ``handler(session, envelope)``. The runtime opens a
transaction, claims the event in the inbox, runs the handler, commits, and only then acks.
A failure is retried after a delay; after ``max_attempts`` the message is parked with its
error. Nothing is acked before it is either handled or safely parked.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage
from opentelemetry import trace
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope, parse_envelope
from kasa_servicekit import inbox
from kasa_servicekit.context import causation_id_var, correlation_id_var
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.topology import parking_queue, retry_queue
from kasa_servicekit.tracing import extract_context, tracer

log = logging.getLogger("kasa.consumer")

Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
Parser = Callable[[bytes], Envelope[Any]]

CONSUMED = Counter("kasa_events_consumed_total", "Deliveries by outcome", ["queue", "outcome"])
HANDLE_SECONDS = Histogram("kasa_event_handle_seconds", "Handler time per event", ["queue"])


@dataclass(frozen=True)
class Subscription:
    """A consumer queue, the events bound to it, and the handler that applies them."""

    queue: str
    routing_keys: tuple[str, ...]
    handler: Handler
    parse: Parser = parse_envelope


async def handle_event(db: Database, subscription: Subscription, envelope: Envelope[Any]) -> bool:
    """Apply one event exactly once: False when the inbox shows it was already handled."""
    corr = correlation_id_var.set(envelope.correlation_id)
    cause = causation_id_var.set(envelope.event_id)
    try:
        async with db.transaction() as session:
            if not await inbox.claim(session, subscription.queue, envelope.event_id):
                return False
            await subscription.handler(session, envelope)
            return True
    finally:
        correlation_id_var.reset(corr)
        causation_id_var.reset(cause)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class Consumer:
    """Runs one subscription on its channel."""

    def __init__(
        self,
        subscription: Subscription,
        db: Database,
        *,
        max_attempts: int = 5,
        prefetch: int = 200,
    ) -> None:
        self.subscription = subscription
        self.queue = subscription.queue
        self.routing_keys = subscription.routing_keys
        self.db = db
        self.max_attempts = max_attempts
        self.prefetch = prefetch

    async def run(self, channel: AbstractChannel) -> None:
        await channel.set_qos(prefetch_count=self.prefetch)
        queue = await channel.get_queue(self.queue, ensure=False)
        exchange = channel.default_exchange
        async with queue.iterator() as messages:
            async for message in messages:
                await self.deliver(message, exchange)

    async def deliver(self, message: AbstractIncomingMessage, exchange: AbstractExchange) -> None:
        headers = dict(message.headers or {})
        attempt = int(str(headers.get("x-attempt", 0))) + 1
        try:
            envelope = self.subscription.parse(message.body)
        except Exception as exc:
            # An unreadable message will not become readable by waiting: park it now.
            await self._forward(message, exchange, parking_queue(self.queue), attempt, exc)
            CONSUMED.labels(self.queue, "parked").inc()
            log.error("parked unreadable message %s: %s", message.message_id, _describe(exc))
            return
        started = time.perf_counter()
        span_name = f"{self.queue} process"
        with tracer().start_as_current_span(
            span_name, context=extract_context(headers), kind=trace.SpanKind.CONSUMER
        ):
            try:
                applied = await handle_event(self.db, self.subscription, envelope)
            except Exception as exc:
                target = (
                    parking_queue(self.queue)
                    if attempt >= self.max_attempts
                    else retry_queue(self.queue)
                )
                await self._forward(message, exchange, target, attempt, exc)
                outcome = "parked" if target.endswith(".parked") else "retried"
                CONSUMED.labels(self.queue, outcome).inc()
                log.warning(
                    "event %s %s after attempt %d: %s",
                    envelope.event_id,
                    outcome,
                    attempt,
                    _describe(exc),
                    extra={"event_type": envelope.event_type},
                )
                return
        HANDLE_SECONDS.labels(self.queue).observe(time.perf_counter() - started)
        CONSUMED.labels(self.queue, "handled" if applied else "duplicate").inc()
        await message.ack()

    async def _forward(
        self,
        message: AbstractIncomingMessage,
        exchange: AbstractExchange,
        target: str,
        attempt: int,
        exc: BaseException,
    ) -> None:
        """Hand the message to the retry or parking queue, confirmed, then ack the original."""
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-attempt": attempt,
                "x-error": _describe(exc),
                "x-failed-at": utcnow().isoformat(),
                "x-original-queue": self.queue,
            }
        )
        headers.setdefault("x-original-routing-key", message.routing_key or "")
        copy = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            type=message.type,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=headers,
        )
        await exchange.publish(copy, routing_key=target, mandatory=True)
        await message.ack()
