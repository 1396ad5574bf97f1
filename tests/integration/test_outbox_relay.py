"""The outbox relay on PostgreSQL and RabbitMQ: every event published once, confirmed, intact."""

import asyncio
from uuid import uuid4

import aio_pika
import pytest

from kasa_contracts import Actor
from kasa_contracts.events.identity import UserRegistered
from kasa_servicekit.bus import Bus
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import Database
from kasa_servicekit.events import At, EventWriter, Pending
from kasa_servicekit.outbox import OutboxRelay, backlog
from kasa_servicekit.tables import kit_metadata
from kasa_servicekit.topology import EVENTS_EXCHANGE, QueuePolicy
from kasa_servicekit.tracing import configure_tracing, tracer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def write_events(db: Database, count: int, correlation_id: str) -> set[str]:
    ids = set()
    configure_tracing("test", "none")
    events = EventWriter("gateway")
    token = correlation_id_var.set(correlation_id)
    try:
        with tracer().start_as_current_span("request"):
            for start in range(0, count, 500):
                pending = [
                    Pending(
                        UserRegistered(user_id=uuid4(), name=f"user {i}", workspace_name="w"),
                        At(uuid4(), Actor(type="system", id="t")),
                    )
                    for i in range(start, min(start + 500, count))
                ]
                async with db.transaction() as session:
                    envelopes = await events.write_all(session, pending)
                ids |= {str(e.event_id) for e in envelopes}
    finally:
        correlation_id_var.reset(token)
    return ids


async def test_two_relays_publish_every_event_exactly_once(real_infra, fresh_database):
    db = Database(fresh_database)
    async with db.engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)

    connection = await aio_pika.connect(real_infra.amqp_url)
    channel = await connection.channel()
    buses = [Bus(real_infra.amqp_url, QueuePolicy()) for _ in range(2)]
    tasks = [asyncio.create_task(bus.run()) for bus in buses]
    await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in buses)), timeout=30)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(EVENTS_EXCHANGE, routing_key="identity.#")

    correlation = f"it-{uuid4()}"
    expected = await write_events(db, 3000, correlation)
    relays = [
        asyncio.create_task(OutboxRelay(db, bus, batch_size=200, poll_seconds=0.1).run())
        for bus in buses
    ]
    try:
        received: list[aio_pika.abc.AbstractIncomingMessage] = []
        async with queue.iterator() as messages:
            async with asyncio.timeout(60):
                async for message in messages:
                    received.append(message)
                    await message.ack()
                    if len(received) >= len(expected):
                        break
        await asyncio.sleep(1)  # a double publish would arrive now
        extra = await queue.get(fail=False)
        assert extra is None, "an event was published twice"
        assert {m.message_id for m in received} == expected
        sample = received[0]
        assert sample.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert sample.correlation_id == correlation
        assert sample.type == "identity.user.registered.v1"
        assert str(sample.headers["traceparent"]).startswith("00-")
        waiting, _ = await backlog(db)
        assert waiting == 0
    finally:
        for task in relays + tasks:
            task.cancel()
        await asyncio.gather(*relays, *tasks, return_exceptions=True)
        await connection.close()
        await db.dispose()


async def test_events_wait_in_the_outbox_while_the_broker_is_away(real_infra, fresh_database):
    db = Database(fresh_database)
    async with db.engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    unreachable = Bus("amqp://guest:guest@127.0.0.1:1/", QueuePolicy())
    bus_task = asyncio.create_task(unreachable.run())
    relay = OutboxRelay(db, unreachable, poll_seconds=0.1)
    relay_task = asyncio.create_task(relay.run())
    try:
        await write_events(db, 10, "outage")
        await asyncio.sleep(1)
        waiting, oldest = await backlog(db)
        assert waiting == 10 and oldest is not None
    finally:
        for task in (relay_task, bus_task):
            task.cancel()
        await asyncio.gather(relay_task, bus_task, return_exceptions=True)
        await db.dispose()
