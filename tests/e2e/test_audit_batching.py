"""The audit consumer's batches on RabbitMQ and PostgreSQL apply each event once, then ack.

A burst with a duplicate, an unreadable message and an event the database refuses: the good
events are all archived once (the archive is audit's inbox) and chained, the two bad ones are
parked, nothing else is lost.
"""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import aio_pika
import asyncpg
import pytest

import kasa_audit
from kasa_audit.consumers import every_event
from kasa_audit.db.chain import entries_in_order, head_of
from kasa_audit.domain.chain import ChainWalk
from kasa_localstack.testing import eventually
from kasa_servicekit.bus import Bus
from kasa_servicekit.consumers import BatchingConsumer, Subscription
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.topology import EVENTS_EXCHANGE, QueuePolicy, parking_queue

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
KEY = "audittest.thing.happened.v1"


def body(workspace, *, occurred_at=None) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": "audittest.thing.happened",
            "event_version": 1,
            "occurred_at": occurred_at or datetime.now(UTC).isoformat(),
            "producer": "audittest",
            "workspace_id": str(workspace),
            "actor": {"type": "system", "id": "test"},
            "payload": {"n": 1},
        }
    ).encode()


async def test_a_burst_is_applied_once_in_batches_and_bad_messages_are_parked(
    real_infra, fresh_database
):
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    db = Database(fresh_database)
    queue = f"audit.batch-test-{uuid4().hex[:6]}"
    # Audit's own subscription, bound to this test's key only instead of "#".
    subscription = Subscription(
        queue,
        {},
        (KEY,),
        parse=every_event.parse,
        batch_size=100,
        batch_handler=every_event.handle_batch,
        any_event=every_event.handle,
    )
    consumer = BatchingConsumer(
        subscription, db, EventWriter("audit"), max_attempts=2, prefetch=300
    )
    bus = Bus(real_infra.amqp_url, QueuePolicy(retry_delay_ms=100), [consumer])
    running = asyncio.create_task(bus.run())
    connection = await aio_pika.connect(real_infra.amqp_url)
    try:
        await asyncio.wait_for(bus.ready.wait(), 30)
        workspaces = [uuid4() for _ in range(5)]
        good = [body(workspaces[i % 5]) for i in range(600)]
        burst = [
            *good[:300],
            good[7],  # delivered twice
            b"{not json",
            # Naive timestamps are refused by the database layer: this fails its whole batch.
            body(workspaces[0], occurred_at="2026-01-01T10:00:00"),
            *good[300:],
        ]
        channel = await connection.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        for message in burst:
            await exchange.publish(aio_pika.Message(message), routing_key=KEY)

        pg = await asyncpg.connect(fresh_database.replace("+asyncpg", ""))
        try:
            await eventually(
                lambda: pg.fetchval("SELECT count(*) FROM audit_entries"),
                lambda n: n >= len(good),
                what="every good event applied",
            )
            parked = await eventually(
                lambda: channel.declare_queue(parking_queue(queue), passive=True),
                lambda q: q.declaration_result.message_count >= 2,
                what="two messages parked",
            )
            await asyncio.sleep(1)  # anything applied twice would show up now
            assert await pg.fetchval("SELECT count(*) FROM audit_entries") == len(good)
            assert await pg.fetchval("SELECT count(*) FROM event_archive") == len(good)
        finally:
            await pg.close()
        assert parked.declaration_result.message_count == 2
        main = await channel.declare_queue(queue, passive=True)
        assert main.declaration_result.message_count == 0

        for workspace in workspaces:
            walk = ChainWalk()
            async for row in entries_in_order(db, workspace):
                walk.step(row, row["prev_hash"], row["hash"])
            head = await head_of(db, workspace)
            walk.finish(head.seq, head.hash)
            assert walk.ok and walk.checked == 120, walk.broken
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await connection.close()
        await db.dispose()
