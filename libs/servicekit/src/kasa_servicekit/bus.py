"""The connection to RabbitMQ: kept up in the background, topology declared on each connect.

A service starts and serves HTTP while the broker is away; ``ready`` tells the relay and the
readiness probe when publishing is possible. On every (re)connection the topology is declared
again and each consumer gets a fresh channel.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit
from uuid import UUID

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from pamqp import commands as spec

from kasa_servicekit.cancellation import stop_if_cancelled
from kasa_servicekit.topology import (
    QueuePolicy,
    declare_consumer_queue,
    declare_exchanges,
    drop_legacy_retry_queue,
)

log = logging.getLogger("kasa.bus")

# aiormq queues at most ten frames for a connection's writer. A batch of 500 publishes then
# fills the queue, and each further publisher waits a loop turn for the writer to take a frame
# and for the channel lock to pass on. A queue deeper than the relay's batches lets a whole
# batch be queued in one turn (measured: 5-10 % less CPU per message in the publisher and in
# the broker). The relay still bounds what is in flight.
aiormq.Connection.FRAME_BUFFER_SIZE = 1024


class BrokerUnavailableError(RuntimeError):
    """The broker is not connected right now."""


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: UUID
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    timestamp: datetime | None = None

    def properties(self, user_id: str | None = None) -> spec.Basic.Properties:
        """The AMQP properties; ``user_id`` is the publishing connection's broker user.

        The broker refuses a ``user_id`` that is not the connection's own user, so consumers
        can trust it to name the service that published the message.
        """
        return spec.Basic.Properties(
            message_id=str(self.message_id),
            user_id=user_id,
            message_type=self.routing_key,
            correlation_id=self.correlation_id,
            timestamp=self.timestamp,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
            headers=self.headers,
        )


def broker_user(url: str) -> str | None:
    """The broker user an AMQP URL connects as (None when the URL names none)."""
    username = urlsplit(url).username
    return unquote(username) if username else None


class ConsumerProtocol(Protocol):
    queue: str
    routing_keys: tuple[str, ...]

    async def run(self, channel: AbstractChannel) -> None: ...


class Bus:
    """One service's link to RabbitMQ: publishing channel plus its consumers."""

    def __init__(
        self,
        url: str,
        policy: QueuePolicy,
        consumers: Sequence[ConsumerProtocol] = (),
        *,
        publish_timeout: float = 120.0,
    ) -> None:
        self.url = url
        self.user = broker_user(url)
        self.policy = policy
        self.consumers = list(consumers)
        self.publish_timeout = publish_timeout
        self.ready = asyncio.Event()
        self._connection: AbstractConnection | None = None
        self._events: AbstractExchange | None = None
        self._channel: AbstractChannel | None = None
        self._underlay: aiormq.Channel | None = None

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._session()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                stop_if_cancelled()  # aiormq's connect timeout is a `wait_for`
                log.warning(
                    "broker connection lost or refused (%s); retrying in %.1fs", exc, backoff
                )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _session(self) -> None:
        # Publishing has a connection of its own: when the broker holds a busy publisher back
        # (credit flow stops reading its socket), the consumers' deliveries and acks, on the
        # other connection, keep moving.
        connection = await aio_pika.connect(self.url, timeout=10)
        closed = asyncio.Event()
        connection.close_callbacks.add(lambda *_: closed.set())
        publisher: AbstractConnection | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            publisher = await aio_pika.connect(self.url, timeout=10)
            publisher.close_callbacks.add(lambda *_: closed.set())
            channel = await publisher.channel(publisher_confirms=True, on_return_raises=True)
            self._events, _ = await declare_exchanges(channel, self.policy)
            # The concrete channel: its basic_publish takes wait=False (below).
            self._underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
            for consumer in self.consumers:
                # A per-instance consumer declares its own exclusive queue on its channel.
                if getattr(consumer, "per_instance", False):
                    continue
                await declare_consumer_queue(
                    channel, consumer.queue, consumer.routing_keys, self.policy
                )
                await drop_legacy_retry_queue(publisher, consumer.queue)
            self._connection, self._channel = publisher, channel
            for consumer in self.consumers:
                consumer_channel = await connection.channel(publisher_confirms=True)
                tasks.append(asyncio.create_task(consumer.run(consumer_channel)))
            self.ready.set()
            log.info("connected to the broker; %d consumer(s) running", len(tasks))
            waiter = asyncio.create_task(closed.wait())
            done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in done:
                if task is not waiter and task.exception():
                    raise task.exception()  # type: ignore[misc]
            raise BrokerUnavailableError("broker connection closed")
        finally:
            self.ready.clear()
            self._events = self._underlay = None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for link in (publisher, connection):
                if link is not None and not link.is_closed:
                    await link.close()

    @property
    def connected(self) -> bool:
        return (
            self.ready.is_set() and self._connection is not None and not self._connection.is_closed
        )

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish to ``kasa.events`` and wait until the broker confirms every message.

        ``publish_timeout`` only catches a broker that stopped answering: under a flood of
        publishes (a large sync) a busy broker may take tens of seconds to confirm, and a
        batch given up too early is sent again, adding to the flood.
        """
        exchange, channel = self._events, self._underlay
        if exchange is None or channel is None:
            raise BrokerUnavailableError("not connected to the broker")
        # aiormq's own pipelining: wait=False queues each frame without waiting for the socket
        # to drain, so a batch leaves in a few writes instead of one drained write per event
        # (a fifth of the publisher's CPU and a quarter of the broker's, measured). The
        # confirms are still awaited, and at most a few batches are in flight.
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    channel.basic_publish(
                        m.body,
                        exchange=exchange.name,
                        routing_key=m.routing_key,
                        properties=m.properties(self.user),
                        mandatory=True,
                        wait=False,
                    )
                    for m in messages
                )
            ),
            timeout=self.publish_timeout,
        )
