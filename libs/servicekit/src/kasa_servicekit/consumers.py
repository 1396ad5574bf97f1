"""Consumers: one durable queue per purpose, idempotent handlers, retry, then park.

A handler is a plain async function ``handler(session, envelope, events)``. The runtime opens a
transaction, claims the event in the inbox, runs the handler, commits, and only then acks.
A failure is retried after a delay; after ``max_attempts`` the message is parked with its
error. Nothing is acked before it is either handled or safely parked.

Before any of that, a ``SenderPolicy`` checks who published the event: the broker validates
the AMQP ``user_id`` against the publishing connection, and the event's type names its
owner in the contracts catalog. An event its owner did not publish is parked at once.
"""

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from pamqp.commands import Basic
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import CATALOG, Envelope, EventPayload, parse_envelope
from kasa_contracts.catalog import UnknownEventError
from kasa_contracts.catalog import spec_for as catalog_spec
from kasa_servicekit import inbox
from kasa_servicekit.context import causation_id_var, correlation_id_var
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.topology import (
    REPLAY_EXCHANGE,
    declare_instance_queue,
    parking_queue,
    retry_queue,
)
from kasa_servicekit.tracing import extract_context, tracer

log = logging.getLogger("kasa.consumer")

FORWARD_REFUSED_PAUSE_S = 1.0
"""How long a consumer waits before it gives back a message whose retry or parking copy the
broker did not take."""

Handler = Callable[[AsyncSession, Envelope[Any], EventWriter], Awaitable[None]]
"""Applies one event in the caller's transaction; writes any events it causes with the writer."""
Parser = Callable[[bytes], Envelope[Any]]
BatchHandler = Callable[
    [AsyncSession, "Subscription", Sequence[tuple[Envelope[Any], Context]], EventWriter],
    Awaitable[set[UUID]],
]
"""Applies many events in the caller's transaction, claiming each in the inbox of the
subscription's queue; gets each event with the trace context it travelled with; returns the
ids it applied. ``apply_each`` applies the part of a batch it does not handle set-based."""

FAILURE_HEADERS = ("x-attempt", "x-error", "x-failed-at", "x-original-queue")
"""Headers a retried or parked message carries about its last failure."""
SENDER_HEADER = "x-sender"
"""The owner's broker user a consumer accepted an event as coming from, on its own retry and
parking copies (which it publishes as itself: the broker allows no other ``user_id``)."""


class NoHandlerError(LookupError):
    """The queue is bound to an event it has no handler for: a wiring mistake, never retried."""


class UntrustedSenderError(PermissionError):
    """The event was not published by its owner's broker user: parked at once, never retried."""


_OWNER_BY_PREFIX = {key.split(".", 1)[0]: spec.producer for key, spec in CATALOG.items()}


def owner_of(routing_key: str) -> str | None:
    """The service that owns an event type: its producer in the catalog.

    A type the catalog does not know yet (audit archives those) belongs to the producer of
    its routing-key prefix, which is also what the broker's topic permissions allow.
    """
    try:
        return catalog_spec(routing_key).producer
    except UnknownEventError:
        return _OWNER_BY_PREFIX.get(routing_key.split(".", 1)[0])


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return None if value is None else str(value)


@dataclass(frozen=True)
class SenderPolicy:
    """Who may have published an event a consumer receives.

    Accepted are: the broker user of the event type's owner (``broker_user(owner)``); the
    consumer's own user on the retry and parking copies it made after accepting the event
    (they carry ``x-sender``); and the replay user, only on messages that came through
    ``kasa.replay`` (``kasa replay``, ``kasa dlq requeue``). Every message must also name the
    owner as its envelope's ``producer``.
    """

    own_user: str
    broker_user: Callable[[str], str]
    replay_user: str | None = None

    def check(self, message: AbstractIncomingMessage, envelope: Envelope[Any]) -> str:
        """The owner's broker user the event is accepted from; ``UntrustedSenderError`` if not."""
        key = envelope.routing_key
        owner = owner_of(key)
        if owner is None:
            raise UntrustedSenderError(f"{key} has no owner in the event catalog")
        expected = self.broker_user(owner)
        if envelope.producer != owner:
            raise UntrustedSenderError(f"{key} names producer {envelope.producer!r}, not {owner}")
        user = message.user_id
        if user == expected:
            return expected
        headers = dict(message.headers or {})
        if user == self.own_user and _header(headers, SENDER_HEADER) == expected:
            return expected
        if self.replay_user and user == self.replay_user and message.exchange == REPLAY_EXCHANGE:
            return expected
        raise UntrustedSenderError(f"{key} was published by {user or 'no user'}, not {expected}")


MAX_BATCH_LINKS = 32

CONSUMED = Counter("kasa_events_consumed_total", "Deliveries by outcome", ["queue", "outcome"])
HANDLE_SECONDS = Histogram("kasa_event_handle_seconds", "Handler time per event", ["queue"])


@dataclass(frozen=True)
class Subscription:
    """A durable consumer queue, the event types bound to it, and the handler of each.

    Declare one with ``Subscription.of`` (typed events) or ``Subscription.every_event``. The
    kit binds the queue to each type's routing key, parses each message into the envelope of
    its catalogued payload type and hands it to the handler of exactly that type, so a
    handler receives ``Envelope[ItsEvent]``. A message of any other type is parked.
    """

    queue: str
    handlers: Mapping[type[EventPayload], Handler]
    routing_keys: tuple[str, ...]
    parse: Parser = parse_envelope
    batch_size: int = 1
    """Above 1, messages already delivered are applied together, this many per transaction."""
    batch_handler: BatchHandler | None = None
    """Applies a whole batch at once; by default each event goes through its handler."""
    any_event: Handler | None = None

    @classmethod
    def of(
        cls,
        queue: str,
        handlers: Mapping[type[EventPayload], Handler],
        *,
        batch_size: int = 1,
        batch_handler: BatchHandler | None = None,
    ) -> "Subscription":
        """A queue for the events in ``handlers``: ``{InvoiceIssued: invoice_issued.handle}``."""
        if not handlers:
            raise ValueError(f"subscription {queue} has no events")
        keys = tuple(dict.fromkeys(event.routing_key() for event in handlers))
        return cls(queue, dict(handlers), keys, batch_size=batch_size, batch_handler=batch_handler)

    @classmethod
    def every_event(
        cls,
        queue: str,
        handler: Handler,
        *,
        parse: Parser,
        batch_size: int = 1,
        batch_handler: BatchHandler | None = None,
    ) -> "Subscription":
        """A queue for every event of every service, parsed by ``parse`` (audit's archive)."""
        return cls(
            queue,
            {},
            ("#",),
            parse=parse,
            batch_size=batch_size,
            batch_handler=batch_handler,
            any_event=handler,
        )

    async def handle(
        self, session: AsyncSession, envelope: Envelope[Any], events: EventWriter
    ) -> None:
        """Hand the event to the handler of its exact payload type."""
        handler = self.any_event or self.handlers.get(type(envelope.payload))
        if handler is None:
            raise NoHandlerError(f"{self.queue} has no handler for {envelope.routing_key}")
        await handler(session, envelope, events)


@contextmanager
def handling(envelope: Envelope[Any], trace_context: Context | None = None) -> Iterator[None]:
    """Events written inside continue ``envelope``'s correlation, causation and trace.

    In a batch, events the handler writes carry the trace their cause travelled with, not the
    batch's.
    """
    corr = correlation_id_var.set(envelope.correlation_id)
    cause = causation_id_var.set(envelope.event_id)
    token = otel_context.attach(trace_context) if trace_context is not None else None
    try:
        yield
    finally:
        if token is not None:
            otel_context.detach(token)
        correlation_id_var.reset(corr)
        causation_id_var.reset(cause)


async def handle_event(
    db: Database, subscription: Subscription, envelope: Envelope[Any], events: EventWriter
) -> bool:
    """Apply one event exactly once: False when the inbox shows it was already handled."""
    with handling(envelope):
        async with db.transaction() as session:
            if not await inbox.claim(session, subscription.queue, envelope.event_id):
                return False
            await subscription.handle(session, envelope, events)
            return True


async def apply_each(
    session: AsyncSession,
    subscription: Subscription,
    delivered: Sequence[tuple[Envelope[Any], Context]],
    events: EventWriter,
) -> set[UUID]:
    """Claim each event and handle it, all in one transaction; the ids applied now."""
    applied: set[UUID] = set()
    for envelope, trace_context in delivered:
        with handling(envelope, trace_context):
            if await inbox.claim(session, subscription.queue, envelope.event_id):
                await subscription.handle(session, envelope, events)
                applied.add(envelope.event_id)
    return applied


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class Consumer:
    """Runs one subscription on its channel."""

    def __init__(
        self,
        subscription: Subscription,
        db: Database,
        events: EventWriter,
        *,
        max_attempts: int = 5,
        prefetch: int = 200,
        senders: SenderPolicy | None = None,
    ) -> None:
        self.subscription = subscription
        self.events = events
        self.queue = subscription.queue
        self.routing_keys = subscription.routing_keys
        self.db = db
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.senders = senders
        """None turns the sender check off (a broker without per-service users)."""

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
        sender = await self._sender(message, envelope, exchange, attempt)
        if sender is False:
            return
        started = time.perf_counter()
        span_name = f"{self.queue} process"
        with tracer().start_as_current_span(
            span_name, context=extract_context(headers), kind=trace.SpanKind.CONSUMER
        ):
            try:
                applied = await handle_event(self.db, self.subscription, envelope, self.events)
            except Exception as exc:
                # Waiting does not give a queue a handler it lacks: park such an event now.
                final = attempt >= self.max_attempts or isinstance(exc, NoHandlerError)
                target = parking_queue(self.queue) if final else retry_queue(self.queue)
                await self._forward(message, exchange, target, attempt, exc, sender)
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

    async def _sender(
        self,
        message: AbstractIncomingMessage,
        envelope: Envelope[Any],
        exchange: AbstractExchange,
        attempt: int,
    ) -> str | Literal[False] | None:
        """The accepted sender (None with the check off); False once a forgery is parked."""
        if self.senders is None:
            return None
        try:
            return self.senders.check(message, envelope)
        except UntrustedSenderError as exc:
            # Like a missing handler, a wrong sender does not heal by waiting: park it now.
            await self._forward(message, exchange, parking_queue(self.queue), attempt, exc)
            CONSUMED.labels(self.queue, "refused").inc()
            log.error(
                "parked event %s from an untrusted sender: %s",
                envelope.event_id,
                _describe(exc),
                extra={"event_type": envelope.event_type},
            )
            return False

    async def _forward(
        self,
        message: AbstractIncomingMessage,
        exchange: AbstractExchange,
        target: str,
        attempt: int,
        exc: BaseException,
        sender: str | None = None,
    ) -> None:
        """Hand the message to the retry or parking queue, confirmed, then ack the original.

        The copy is published as this service (its own ``user_id``); ``x-sender`` keeps the
        owner it was accepted from, and only when it was accepted. A copy the broker returns
        or refuses (the target queue cannot take it now) is not stored: the original is then
        given back to the queue, after a pause, rather than acked and lost.
        """
        headers = dict(message.headers or {})
        failure = (attempt, _describe(exc), utcnow().isoformat(), self.queue)
        headers.update(zip(FAILURE_HEADERS, failure, strict=True))
        headers.setdefault("x-original-routing-key", message.routing_key or "")
        headers.pop(SENDER_HEADER, None)
        if sender is not None:
            headers[SENDER_HEADER] = sender
        copy = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            user_id=self.senders.own_user if self.senders else None,
            type=message.type,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=headers,
        )
        confirmation = await exchange.publish(copy, routing_key=target, mandatory=True)
        if not isinstance(confirmation, Basic.Ack):
            log.warning(
                "the broker did not take the copy of %s for %s (%s); it goes back to %s",
                message.message_id,
                target,
                type(getattr(confirmation, "delivery", confirmation)).__name__,
                self.queue,
            )
            # Not straight back: the target is likely still away, and the queue's delivery
            # limit counts every return.
            await asyncio.sleep(FORWARD_REFUSED_PAUSE_S)
            await message.nack(requeue=True)
            return
        await message.ack()


InstanceHandler = Callable[[Envelope[Any]], Awaitable[None]]


@dataclass(frozen=True)
class InstanceSubscription:
    """Events that every running instance of a service receives, e.g. to push them to clients.

    Unlike a ``Subscription`` the queue belongs to one instance: exclusive, auto-deleted with
    its connection, not durable, no inbox, no retry and no parking. Events published while the
    instance is away are not delivered to it; use this only where that is acceptable.
    """

    name: str
    """Prefix of the queue name; the host name and a random suffix make it unique."""
    routing_keys: tuple[str, ...]
    handler: InstanceHandler
    parse: Parser = parse_envelope
    max_length: int = 10_000
    on_listening: Callable[[], Awaitable[None]] | None = None
    """Run once the queue is bound, on every (re)connection, beside the deliveries: to catch
    up on what was published while this instance was not listening."""


class InstanceConsumer:
    """Runs an ``InstanceSubscription`` on its own freshly declared queue."""

    per_instance = True

    def __init__(
        self, subscription: InstanceSubscription, *, senders: SenderPolicy | None = None
    ) -> None:
        self.subscription = subscription
        self.senders = senders
        self.queue = f"{subscription.name}.{socket.gethostname()}.{uuid.uuid4().hex[:8]}"
        self.routing_keys = subscription.routing_keys

    async def run(self, channel: AbstractChannel) -> None:
        queue = await declare_instance_queue(
            channel, self.queue, self.routing_keys, self.subscription.max_length
        )
        hook = self.subscription.on_listening
        catching_up = asyncio.ensure_future(hook()) if hook else None
        try:
            async with queue.iterator(no_ack=True) as messages:
                async for message in messages:
                    await self.deliver(message)
        finally:
            if catching_up is not None:
                catching_up.cancel()

    async def deliver(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = self.subscription.parse(message.body)
        except Exception as exc:
            CONSUMED.labels(self.subscription.name, "unreadable").inc()
            log.warning("dropped unreadable message %s: %s", message.message_id, _describe(exc))
            return
        if self.senders is not None:
            try:
                self.senders.check(message, envelope)
            except UntrustedSenderError as exc:
                # Nothing of an instance queue is parked: a forgery is dropped, loudly.
                CONSUMED.labels(self.subscription.name, "refused").inc()
                log.error("dropped event %s: %s", envelope.event_id, _describe(exc))
                return
        try:
            await self.subscription.handler(envelope)
        except Exception:
            CONSUMED.labels(self.subscription.name, "failed").inc()
            log.exception("instance handler failed on %s", envelope.event_id)
            return
        CONSUMED.labels(self.subscription.name, "handled").inc()


class BatchingConsumer(Consumer):
    """Runs a subscription in batches of the messages the broker has already delivered.

    The guarantees stay those of ``Consumer``; only the unit of work grows: up to
    ``batch_size`` waiting messages are claimed and applied in ONE transaction and acked after
    its commit. If the batch fails, nothing of it is committed and each message goes through
    the one-by-one path, which retries and finally parks only the one that keeps failing.
    Under light load a batch is one message, so latency does not grow.
    """

    async def run(self, channel: AbstractChannel) -> None:
        # Two batches in flight: one being applied while the broker delivers the next.
        await channel.set_qos(prefetch_count=max(self.prefetch, 2 * self.subscription.batch_size))
        queue = await channel.get_queue(self.queue, ensure=False)
        exchange = channel.default_exchange
        waiting: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        channel.close_callbacks.add(lambda *_: waiting.put_nowait(None))
        await queue.consume(waiting.put)
        while True:
            message = await waiting.get()
            batch: list[AbstractIncomingMessage] = []
            while message is not None:
                batch.append(message)
                if len(batch) >= self.subscription.batch_size or waiting.empty():
                    break
                message = waiting.get_nowait()
            if batch:
                await self.deliver_batch(batch, exchange)
            if message is None:
                raise ConnectionError(f"the channel of {self.queue} closed")

    async def deliver_batch(
        self, messages: list[AbstractIncomingMessage], exchange: AbstractExchange
    ) -> None:
        if len(messages) == 1:
            await self.deliver(messages[0], exchange)
            return
        parsed: list[tuple[AbstractIncomingMessage, Envelope[Any], Context]] = []
        for message in messages:
            try:
                envelope = self.subscription.parse(message.body)
                if self.senders is not None:
                    self.senders.check(message, envelope)
            except Exception:
                await self.deliver(message, exchange)  # parks it, with the error
                continue
            parsed.append((message, envelope, extract_context(dict(message.headers or {}))))
        if not parsed:
            return
        events = [(envelope, ctx) for _, envelope, ctx in parsed]
        # The batch's span links to the traces of its first messages; a link per message of a
        # large batch costs more than the batch's own work and tracing backends cap them anyway.
        links = [
            trace.Link(span)
            for _, _, ctx in parsed[:MAX_BATCH_LINKS]
            if (span := trace.get_current_span(ctx).get_span_context()).is_valid
        ]
        started = time.perf_counter()
        with tracer().start_as_current_span(
            f"{self.queue} process batch", kind=trace.SpanKind.CONSUMER, links=links
        ):
            try:
                async with self.db.transaction() as session:
                    if self.subscription.batch_handler:
                        applied = await self.subscription.batch_handler(
                            session, self.subscription, events, self.events
                        )
                    else:
                        applied = await apply_each(session, self.subscription, events, self.events)
            except Exception as exc:
                log.warning(
                    "batch of %d on %s failed (%s); handling its events one by one",
                    len(parsed),
                    self.queue,
                    _describe(exc),
                )
                for message, _, _ in parsed:
                    await self.deliver(message, exchange)
                return
        HANDLE_SECONDS.labels(self.queue).observe((time.perf_counter() - started) / len(parsed))
        handled = len(applied & {envelope.event_id for _, envelope, _ in parsed})
        CONSUMED.labels(self.queue, "handled").inc(handled)
        CONSUMED.labels(self.queue, "duplicate").inc(len(parsed) - handled)
        # One ack for the batch: every delivery on this channel up to its last one is either
        # in it or was acked already (batches run one after another; a message handled on its
        # own above was acked or forwarded before this point).
        last = max((message for message, _, _ in parsed), key=lambda m: m.delivery_tag or 0)
        await last.ack(multiple=True)


def consumer_for(
    subscription: Subscription, db: Database, events: EventWriter, **options: Any
) -> Consumer:
    """The consumer a subscription asks for: batching when its ``batch_size`` is above 1."""
    kind = BatchingConsumer if subscription.batch_size > 1 else Consumer
    return kind(subscription, db, events, **options)
