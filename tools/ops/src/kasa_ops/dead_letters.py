"""``kasa dlq``: look at parked messages, send them back for another try, or drop them.

A requeued message keeps its ``message_id`` (the event id) and goes through ``kasa.replay`` to
its own queue only, so a consumer that already applied it acknowledges it without effect. It
is published as ``kasa``'s broker user (the replay user), the only one consumers accept on
``kasa.replay``. A message parked because its sender was not its owner is never requeued.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from kasa_servicekit.bus import broker_user
from kasa_servicekit.consumers import FAILURE_HEADERS, SENDER_HEADER, UntrustedSenderError
from kasa_servicekit.topology import REPLAY_EXCHANGE, parking_queue


# Headers the runtime adds when it retries or parks; a requeued message starts afresh.
@dataclass(frozen=True)
class ParkedMessage:
    message_id: str | None
    event_type: str | None
    attempts: int | None
    error: str | None
    failed_at: str | None
    headers: dict[str, Any]
    body: bytes

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "event_type": self.event_type,
            "attempts": self.attempts,
            "error": self.error,
            "failed_at": self.failed_at,
        }


def _event_type(message: AbstractIncomingMessage) -> str | None:
    try:
        data = json.loads(message.body)
        return f"{data['event_type']}.v{data['event_version']}"
    except (ValueError, KeyError, TypeError):
        return message.type


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
    )


@asynccontextmanager
async def _parked(amqp_url: str, queue: str) -> AsyncIterator[tuple[AbstractChannel, Any]]:
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        parked = await channel.declare_queue(parking_queue(queue), passive=True)
        yield channel, parked
    finally:
        # Messages fetched but not acknowledged return to the parking queue here.
        await connection.close()


def forged(message: AbstractIncomingMessage) -> bool:
    """Parked because its consumer refused its sender: requeuing would launder a forgery."""
    error = (message.headers or {}).get("x-error")
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error or "")
    return text.startswith(UntrustedSenderError.__name__)


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


async def list_parked(
    amqp_url: str,
    queue: str,
    *,
    event_type: str | None = None,
    limit: int = 50,
    message_ids: set[str] | None = None,
    scan: int = 10_000,
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
    scan: int = 10_000,
) -> list[str]:
    """Send matching parked messages back to ``queue``; returns their message ids.

    Messages parked for an untrusted sender stay parked (``kasa dlq discard`` drops them).
    """
    done: list[str] = []
    user = broker_user(amqp_url)
    async with _parked(amqp_url, queue) as (channel, parked):
        exchange = await channel.get_exchange(REPLAY_EXCHANGE)
        for message in await _fetch(parked, scan):
            if len(done) >= limit or not _selected(message, event_type, message_ids or set()):
                continue
            if forged(message):
                continue
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
            done.append(str(message.message_id))
    return done


async def discard(
    amqp_url: str,
    queue: str,
    *,
    event_type: str | None = None,
    limit: int = 50,
    message_ids: set[str] | None = None,
    scan: int = 10_000,
) -> list[str]:
    """Drop matching parked messages for good; returns their message ids."""
    done: list[str] = []
    async with _parked(amqp_url, queue) as (_, parked):
        for message in await _fetch(parked, scan):
            if len(done) < limit and _selected(message, event_type, message_ids or set()):
                await message.ack()
                done.append(str(message.message_id))
    return done
