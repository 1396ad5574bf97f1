"""The RabbitMQ topology every service declares at start (idempotently).

- ``kasa.events``: durable topic exchange all events are published to.
- ``kasa.replay``: direct exchange; each consumer queue is bound with its own name, so a replay
  aimed at one queue reaches nobody else.
- ``kasa.events.archive``: a stream bound with ``#``, the short-horizon archive for replay.
- Per consumer queue ``Q``: a durable quorum queue with a delivery limit, ``Q.retries`` (a
  quorum delay queue whose messages expire back into ``Q``) and ``Q.parked`` (where messages
  that keep failing wait for an operator). All three are quorum queues, so on a cluster each
  survives the loss of a node.
- Per-instance queues (``declare_instance_queue``): one service instance's own exclusive,
  auto-deleted queue, for events every instance must see (live push to its clients).

Every queue of a service starts with its name (``ledger.…``), which is what its broker user
may read: ``broker_permissions`` gives each user exactly what this topology needs.
"""

import logging
import re
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractQueue

from kasa_contracts import CATALOG

EVENTS_EXCHANGE = "kasa.events"
REPLAY_EXCHANGE = "kasa.replay"
ARCHIVE_STREAM = "kasa.events.archive"

log = logging.getLogger("kasa.topology")


def retry_queue(queue: str) -> str:
    return f"{queue}.retries"


def legacy_retry_queue(queue: str) -> str:
    """The classic delay queue of earlier versions, which lived on one broker node only: a
    cluster that lost that node refused the service's declarations until it came back."""
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
            "x-queue-type": "quorum",
            "x-message-ttl": policy.retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name,
            # Expired retries move back into the queue under publisher confirms between the
            # two queues, never dropped on the way (which needs reject-publish overflow).
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
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


async def drop_legacy_retry_queue(connection: AbstractConnection, name: str) -> None:
    """Delete ``name``'s classic delay queue of earlier versions once it is empty.

    Until then its messages expire back into ``name`` as before; the next start tries again.
    On a channel of its own, because a refusal (not empty, node down) closes the channel.
    """
    try:
        channel = await connection.channel()
    except Exception:
        return
    try:
        await channel.queue_delete(legacy_retry_queue(name), if_empty=True)
    except Exception as exc:
        log.info("kept %s for now: %s", legacy_retry_queue(name), exc)
    finally:
        if not channel.is_closed:
            await channel.close()


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


@dataclass(frozen=True)
class BrokerPermissions:
    """One broker user's rights on a virtual host (RabbitMQ regular expressions).

    ``configure``/``write``/``read`` name exchanges and queues; ``topic_write`` names the
    routing keys the user may publish to ``kasa.events``, ``topic_read`` the keys it may bind.
    """

    user: str
    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str = ".*"


REPLAY_USER = "ops"
"""The name ``broker_permissions`` gives the user of ``kasa replay`` and ``kasa dlq``."""


def _one_of(*names: str) -> str:
    return "^(" + "|".join(names) + ")$"


def broker_permissions(user_prefix: str = "kasa-") -> dict[str, BrokerPermissions]:
    """Each service's broker user (``<prefix><service>``) and the replay user (``ops``).

    A service may declare and read only its own queues (``<service>.…``, their retry and
    parking queues included) plus the shared exchanges and the archive stream it declares,
    publish only to ``kasa.events`` (routing keys of its own events) and to the default
    exchange (its retry and parking copies). Only the replay user may publish to
    ``kasa.replay``; it reads the archive stream and the parking queues and declares nothing.
    """
    prefixes: dict[str, set[str]] = {}
    for key, spec in CATALOG.items():
        prefixes.setdefault(spec.producer, set()).add(key.split(".", 1)[0])
    shared = (re.escape(EVENTS_EXCHANGE), re.escape(REPLAY_EXCHANGE), re.escape(ARCHIVE_STREAM))
    users: dict[str, BrokerPermissions] = {}
    for service, own in sorted(prefixes.items()):
        queues = re.escape(service) + r"\..*"
        users[service] = BrokerPermissions(
            user=f"{user_prefix}{service}",
            configure=_one_of(*shared, queues),
            write=_one_of(
                re.escape(EVENTS_EXCHANGE), r"amq\.default", re.escape(ARCHIVE_STREAM), queues
            ),
            read=_one_of(re.escape(EVENTS_EXCHANGE), re.escape(REPLAY_EXCHANGE), queues),
            topic_write="^(" + "|".join(re.escape(p) for p in sorted(own)) + r")\.",
        )
    users[REPLAY_USER] = BrokerPermissions(
        user=f"{user_prefix}{REPLAY_USER}",
        configure="^$",
        write=_one_of(re.escape(REPLAY_EXCHANGE)),
        read=_one_of(re.escape(ARCHIVE_STREAM), r".*\.parked"),
        topic_write="^$",
        topic_read="^$",
    )
    return users
