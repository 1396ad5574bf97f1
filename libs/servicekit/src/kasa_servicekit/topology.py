"""The RabbitMQ topology every service declares at start (idempotently).

- ``kasa.events``: durable topic exchange all events are published to.
- ``kasa.replay``: direct exchange; each consumer queue is bound with its own name, so a replay
  aimed at one queue reaches nobody else.
- ``kasa.events.archive``: a stream bound with ``#``, the short-horizon archive for replay.
- Per consumer queue ``Q``: a durable quorum queue with a delivery limit, ``Q.retry`` (a delay
  queue whose messages expire back into ``Q``) and ``Q.parked`` (where messages that keep
  failing wait for an operator).
- Per-instance queues (``declare_instance_queue``): one service instance's own exclusive,
  auto-deleted queue, for events every instance must see (live push to its clients).
"""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

EVENTS_EXCHANGE = "kasa.events"
REPLAY_EXCHANGE = "kasa.replay"
ARCHIVE_STREAM = "kasa.events.archive"


def retry_queue(queue: str) -> str:
    return f"{queue}.retry"


def parking_queue(queue: str) -> str:
    return f"{queue}.parked"


@dataclass(frozen=True)
class QueuePolicy:
    delivery_limit: int = 20
    retry_delay_ms: int = 2_000
    archive_max_age: str = "7D"


async def declare_exchanges(
    channel: AbstractChannel, policy: QueuePolicy
) -> tuple[AbstractExchange, AbstractExchange]:
    events = await channel.declare_exchange(
        EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    replay = await channel.declare_exchange(
        REPLAY_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    archive = await channel.declare_queue(
        ARCHIVE_STREAM,
        durable=True,
        arguments={"x-queue-type": "stream", "x-max-age": policy.archive_max_age},
    )
    await archive.bind(events, routing_key="#")
    return events, replay


async def declare_consumer_queue(
    channel: AbstractChannel,
    name: str,
    routing_keys: tuple[str, ...],
    policy: QueuePolicy,
) -> AbstractQueue:
    """Declare ``name`` with its retry and parking queues and bind it to its events."""
    await channel.declare_queue(
        parking_queue(name), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await channel.declare_queue(
        retry_queue(name),
        durable=True,
        arguments={
            "x-queue-type": "classic",
            "x-message-ttl": policy.retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name,
        },
    )
    queue = await channel.declare_queue(
        name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            # A message that crashes its consumer again and again (so it is never settled)
            # is dead-lettered to the parking queue by the broker itself.
            "x-delivery-limit": policy.delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": parking_queue(name),
        },
    )
    for key in routing_keys:
        await queue.bind(EVENTS_EXCHANGE, routing_key=key)
    await queue.bind(REPLAY_EXCHANGE, routing_key=name)
    return queue


async def declare_instance_queue(
    channel: AbstractChannel, name: str, routing_keys: tuple[str, ...], max_length: int
) -> AbstractQueue:
    """Declare one instance's own queue: gone with its connection, never retried or parked.

    A bounded classic queue that drops its oldest messages when full, so a stalled instance
    cannot make the broker hoard events for it.
    """
    queue = await channel.declare_queue(
        name,
        durable=False,
        exclusive=True,
        auto_delete=True,
        arguments={
            "x-queue-type": "classic",
            "x-max-length": max_length,
            "x-overflow": "drop-head",
        },
    )
    for key in routing_keys:
        await queue.bind(EVENTS_EXCHANGE, routing_key=key)
    return queue
