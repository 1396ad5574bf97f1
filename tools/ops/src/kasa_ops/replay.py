"""``kasa replay``: publish archived events again to one service's queues, and only to them.

Events are read from the ``kasa.events.archive`` stream from a point in time, filtered, and
published to ``kasa.replay`` with each target queue as routing key. Consumers' inboxes make a
replay safe to run twice. Progress is checkpointed to a file so an interrupted replay resumes
where it stopped (RabbitMQ 3.10 keeps no stream position for AMQP 0-9-1 clients).

Replays are published as ``kasa``'s broker user (``user_id``), the replay user consumers
accept only on ``kasa.replay``; ``x-original-user-id`` records the archived publisher where
the stream kept it.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from kasa_ops.topics import topic_matches
from kasa_servicekit.bus import broker_user
from kasa_servicekit.topology import ARCHIVE_STREAM, REPLAY_EXCHANGE


@dataclass
class ReplayFilter:
    queues: dict[str, list[str]]
    """Target queues and the routing keys each is bound to."""
    since: datetime
    until: datetime | None = None
    event_types: tuple[str, ...] = ()
    workspace_id: str | None = None

    def targets(self, routing_key: str, body: bytes) -> list[str]:
        if self.event_types and not any(routing_key.startswith(t) for t in self.event_types):
            return []
        try:
            envelope = json.loads(body)
            occurred = datetime.fromisoformat(str(envelope["occurred_at"]))
        except (ValueError, KeyError, TypeError):
            return []
        if occurred < self.since or (self.until is not None and occurred >= self.until):
            return []
        if self.workspace_id and str(envelope.get("workspace_id")) != self.workspace_id:
            return []
        return [
            queue
            for queue, keys in self.queues.items()
            if any(topic_matches(key, routing_key) for key in keys)
        ]


@dataclass
class ReplayProgress:
    read: int = 0
    matched: int = 0
    published: int = 0
    last_offset: int | None = None
    cursor: str | None = None
    finished: bool = False
    started_at: float = field(default_factory=time.time)

    def save(self, path: Path | None) -> None:
        if path:
            path.write_text(json.dumps(asdict(self)))

    @classmethod
    def resume(cls, path: Path | None) -> "ReplayProgress":
        """The progress saved at ``path``, or a fresh start."""
        if path and path.exists():
            return cls(**json.loads(path.read_text()))
        return cls()


def _from_stream(message: AbstractIncomingMessage, user: str | None) -> aio_pika.Message:
    headers = dict(message.headers or {})
    headers.pop("x-stream-offset", None)
    headers["x-replayed"] = True
    if message.user_id:
        headers["x-original-user-id"] = message.user_id
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        user_id=user,
        type=message.type,
        correlation_id=message.correlation_id,
        timestamp=message.timestamp,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=headers,
    )


def _from_archive(routing_key: str, body: bytes, user: str | None) -> aio_pika.Message:
    envelope = json.loads(body)
    return aio_pika.Message(
        body,
        message_id=str(envelope["event_id"]),
        user_id=user,
        type=routing_key,
        correlation_id=envelope.get("correlation_id"),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers={"x-replayed": True},
    )


async def _publish(exchange: AbstractExchange, message: aio_pika.Message, queue: str) -> None:
    await exchange.publish(message, routing_key=queue, mandatory=True)


ATTACH_SECONDS = 30.0
"""How long a replay waits for the stream's first message before it calls the window empty."""


async def replay_from_stream(
    amqp_url: str,
    selection: ReplayFilter,
    *,
    dry_run: bool = False,
    rate: float | None = None,
    checkpoint: Path | None = None,
    idle_seconds: float = 3.0,
    on_progress: Callable[[ReplayProgress], None] | None = None,
) -> ReplayProgress:
    """Replay the archive from ``selection.since`` (or the checkpoint) until it runs dry: no
    message for ``idle_seconds``, or none at all within ``ATTACH_SECONDS`` of the start."""
    progress = await asyncio.to_thread(ReplayProgress.resume, checkpoint)
    offset: Any = progress.last_offset + 1 if progress.last_offset is not None else selection.since
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        read_channel = await connection.channel()
        await read_channel.set_qos(prefetch_count=500)
        stream = await read_channel.declare_queue(ARCHIVE_STREAM, passive=True)
        publish_channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await publish_channel.get_exchange(REPLAY_EXCHANGE)
        pending: list[asyncio.Future[Any]] = []
        started = time.monotonic()

        async def flush() -> None:
            if pending:
                await asyncio.gather(*pending)
                pending.clear()
            await asyncio.to_thread(progress.save, checkpoint)
            if on_progress:
                on_progress(progress)

        # Our own buffer rather than aio-pika's queue iterator: on close that iterator nacks what
        # it still holds, and a stream answers a nack by closing the channel. Whatever is left
        # unread here is simply not read; the saved offset says where a later run resumes.
        buffered: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        consumer = await stream.consume(buffered.put, arguments={"x-stream-offset": offset})
        try:
            while True:
                # Attaching by time makes the broker search its index first, which on a large
                # archive of a busy broker takes longer than any sensible idle gap.
                wait = idle_seconds if progress.read else max(idle_seconds, ATTACH_SECONDS)
                try:
                    message = await asyncio.wait_for(buffered.get(), timeout=wait)
                except TimeoutError:
                    break
                progress.read += 1
                targets = selection.targets(message.routing_key or "", message.body)
                if targets:
                    progress.matched += 1
                    if not dry_run:
                        copy = _from_stream(message, broker_user(amqp_url))
                        pending += [
                            asyncio.ensure_future(_publish(exchange, copy, queue))
                            for queue in targets
                        ]
                        progress.published += len(targets)
                    if rate:
                        expected = progress.matched / rate
                        await asyncio.sleep(max(0.0, expected - (time.monotonic() - started)))
                await message.ack()
                offset_header = (message.headers or {}).get("x-stream-offset")
                if offset_header is not None:
                    progress.last_offset = int(str(offset_header))
                if len(pending) >= 500 or progress.read % 1000 == 0:
                    await flush()
        finally:
            await stream.cancel(consumer)
        progress.finished = True
        await flush()
    finally:
        await connection.close()
    return progress


async def replay_from_audit(
    amqp_url: str,
    archive: Callable[[str | None], Awaitable[tuple[list[dict[str, str]], str | None]]],
    selection: ReplayFilter,
    *,
    dry_run: bool = False,
    rate: float | None = None,
    checkpoint: Path | None = None,
    on_progress: Callable[[ReplayProgress], None] | None = None,
) -> ReplayProgress:
    """Replay from audit's permanent archive, for events older than the stream keeps.

    ``archive(cursor)`` returns one page of ``{"routing_key", "body"}`` and the next cursor.
    """
    progress = await asyncio.to_thread(ReplayProgress.resume, checkpoint)
    connection = await aio_pika.connect(amqp_url, timeout=10)
    started = time.monotonic()
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(REPLAY_EXCHANGE)
        while not progress.finished:
            page, next_cursor = await archive(progress.cursor)
            pending = []
            for line in page:
                progress.read += 1
                body = line["body"].encode()
                targets = selection.targets(line["routing_key"], body)
                if not targets:
                    continue
                progress.matched += 1
                if not dry_run:
                    copy = _from_archive(line["routing_key"], body, broker_user(amqp_url))
                    pending += [_publish(exchange, copy, queue) for queue in targets]
                    progress.published += len(targets)
                if rate:
                    expected = progress.matched / rate
                    await asyncio.sleep(max(0.0, expected - (time.monotonic() - started)))
            await asyncio.gather(*pending)
            progress.cursor = next_cursor
            progress.finished = next_cursor is None
            await asyncio.to_thread(progress.save, checkpoint)
            if on_progress:
                on_progress(progress)
    finally:
        await connection.close()
    return progress
