"""Parked messages of a consumer queue: list them, show one, send them back, or drop them.

One implementation for ``kasa dlq`` and the gateway's operator API. A requeued message keeps
its ``message_id`` (the event id) and goes through ``kasa.replay`` to its own queue only, so a
consumer that already applied it acknowledges it without effect. It is published as the
replay user (the broker user of ``amqp_url``), the only one consumers accept on
``kasa.replay``. A message parked because its sender was not its owner is never requeued.

Every requeue and discard can be a dry run: the same selection, nothing sent or dropped. The
messages looked at go back to the parking queue unchanged when the connection closes.
"""

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from kasa_servicekit.bus import broker_user
from kasa_servicekit.consumers import FAILURE_HEADERS, SENDER_HEADER, UntrustedSenderError
from kasa_servicekit.topology import REPLAY_EXCHANGE, parking_queue

SCAN = 10_000
"""At most this many parked messages are looked at per call."""


class BrokerUnreachable(ConnectionError):
    """The broker did not answer (or refused the credentials)."""


class NoParkingQueue(LookupError):
    """The queue has no parking queue: not a consumer queue of this instance."""


@dataclass(frozen=True)
class ParkedMessage:
    message_id: str | None
    event_type: str | None
    attempts: int | None
    error: str | None
    failed_at: str | None
    headers: dict[str, Any]
    body: bytes
    untrusted: bool = False
    """Parked because its consumer refused its sender: it is never requeued."""

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "event_type": self.event_type,
            "attempts": self.attempts,
            "error": self.error,
            "failed_at": self.failed_at,
        }


@dataclass(frozen=True)
class Outcome:
    """What a requeue or discard did, or (``dry_run``) would do."""

    done: list[ParkedMessage]
    """Requeued or discarded (a dry run: would be)."""
    untrusted: list[ParkedMessage] = field(default_factory=list)
    """Chosen for a requeue but left parked: parked for an untrusted sender."""
    dry_run: bool = False

    @property
    def ids(self) -> list[str]:
        return [str(m.message_id) for m in self.done]


def _event_type(message: AbstractIncomingMessage) -> str | None:
    try:
        data = json.loads(message.body)
        return f"{data['event_type']}.v{data['event_version']}"
    except (ValueError, KeyError, TypeError):
        return message.type


def forged(message: AbstractIncomingMessage) -> bool:
    """Parked because its consumer refused its sender: requeuing would launder a forgery."""
    error = (message.headers or {}).get("x-error")
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error or "")
    return text.startswith(UntrustedSenderError.__name__)


def describe(message: AbstractIncomingMessage) -> ParkedMessage:
    headers = dict(message.headers or {})
    attempt = headers.get("x-attempt")
    return ParkedMessage(
        message_id=message.message_id,
        event_type=_event_type(message),
        attempts=int(str(attempt)) if attempt is not None else None,
        error=str(headers["x-error"]) if "x-error" in headers else None,
        failed_at=str(headers["x-failed-at"]) if "x-failed-at" in headers else None,
        headers={k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in headers.items()},
        body=message.body,
        untrusted=forged(message),
    )


@asynccontextmanager
async def _parked(amqp_url: str, queue: str) -> AsyncIterator[tuple[AbstractChannel, Any]]:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=10)
    except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
        raise BrokerUnreachable(f"{type(exc).__name__}: {exc}") from exc
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        try:
            parked = await channel.declare_queue(parking_queue(queue), passive=True)
        except aio_pika.exceptions.ChannelClosed as exc:
            raise NoParkingQueue(f"no parking queue {parking_queue(queue)}") from exc
        yield channel, parked
    finally:
        # Messages fetched but not acknowledged return to the parking queue here.
        await connection.close()


def _selected(
    message: AbstractIncomingMessage, event_type: str | None, message_ids: set[str]
) -> bool:
    if message_ids and message.message_id not in message_ids:
        return False
    found = _event_type(message) or ""
    return not event_type or found.startswith(event_type)


async def _fetch(parked: Any, scan: int) -> list[AbstractIncomingMessage]:
    messages = []
    for _ in range(scan):
        message = await parked.get(no_ack=False, fail=False)
        if message is None:
            break
        messages.append(message)
    return messages


def choose_for_requeue(
    messages: Iterable[AbstractIncomingMessage],
    *,
    event_type: str | None,
    limit: int,
    message_ids: set[str],
) -> tuple[list[AbstractIncomingMessage], list[AbstractIncomingMessage]]:
    """The messages a requeue sends back (at most ``limit``), and the chosen ones it leaves
    parked because their sender was untrusted (they do not count against the limit)."""
    chosen: list[AbstractIncomingMessage] = []
    untrusted: list[AbstractIncomingMessage] = []
    for message in messages:
        if len(chosen) >= limit or not _selected(message, event_type, message_ids):
            continue
        (untrusted if forged(message) else chosen).append(message)
    return chosen, untrusted


def choose_for_discard(
    messages: Iterable[AbstractIncomingMessage],
    *,
    event_type: str | None,
    limit: int,
    message_ids: set[str],
) -> list[AbstractIncomingMessage]:
    """The messages a discard drops: the first ``limit`` that match, whoever sent them."""
    chosen: list[AbstractIncomingMessage] = []
    for message in messages:
        if len(chosen) < limit and _selected(message, event_type, message_ids):
            chosen.append(message)
    return chosen


async def list_parked(
    amqp_url: str,
    queue: str,
    *,
    event_type: str | None = None,
    limit: int = 50,
    message_ids: set[str] | None = None,
    scan: int = SCAN,
) -> list[ParkedMessage]:
    async with _parked(amqp_url, queue) as (_, parked):
        messages = await _fetch(parked, scan)
        chosen = [m for m in messages if _selected(m, event_type, message_ids or set())]
        return [describe(m) for m in chosen[:limit]]


async def requeue(
    amqp_url: str,
    queue: str,
    *,
    event_type: str | None = None,
    limit: int = 50,
    message_ids: set[str] | None = None,
    scan: int = SCAN,
    dry_run: bool = False,
) -> Outcome:
    """Send matching parked messages back to ``queue``.

    Messages parked for an untrusted sender stay parked (a discard drops them).
    """
    user = broker_user(amqp_url)
    async with _parked(amqp_url, queue) as (channel, parked):
        chosen, untrusted = choose_for_requeue(
            await _fetch(parked, scan),
            event_type=event_type,
            limit=limit,
            message_ids=message_ids or set(),
        )
        if not dry_run:
            exchange = await channel.get_exchange(REPLAY_EXCHANGE)
            for message in chosen:
                dropped = (*FAILURE_HEADERS, SENDER_HEADER)
                headers = {k: v for k, v in (message.headers or {}).items() if k not in dropped}
                headers["x-requeued-from"] = parking_queue(queue)
                await exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        user_id=user,
                        type=message.type,
                        correlation_id=message.correlation_id,
                        timestamp=message.timestamp,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        headers=headers,
                    ),
                    routing_key=queue,
                    mandatory=True,
                )
                await message.ack()  # only after the broker confirmed the copy
        return Outcome(
            done=[describe(m) for m in chosen],
            untrusted=[describe(m) for m in untrusted],
            dry_run=dry_run,
        )


async def discard(
    amqp_url: str,
    queue: str,
    *,
    event_type: str | None = None,
    limit: int = 50,
    message_ids: set[str] | None = None,
    scan: int = SCAN,
    dry_run: bool = False,
) -> Outcome:
    """Drop matching parked messages for good."""
    async with _parked(amqp_url, queue) as (_, parked):
        chosen = choose_for_discard(
            await _fetch(parked, scan),
            event_type=event_type,
            limit=limit,
            message_ids=message_ids or set(),
        )
        if not dry_run:
            for message in chosen:
                await message.ack()
        return Outcome(done=[describe(m) for m in chosen], dry_run=dry_run)
