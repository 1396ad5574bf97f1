"""TransactionImported events through RabbitMQ into the ledger on PostgreSQL, next to a raw
consume-and-insert baseline in the same run.

    uv run python tests/perf/bench_ledger.py --transactions 100000

The events are what a demo sync of that size publishes (four expenses to one income, the first
incomes paying demo invoices). They are published once to ``kasa.events``, which routes every
copy to two queues declared beforehand: the ledger's own ``ledger.transactions`` (quorum, with
its retry and parking companions) and a plain quorum queue for the baseline. The two consumers
then run one after the other, each alone on the machine, each on a fresh PostgreSQL database:

- baseline: aio-pika with the same prefetch, ``json.loads`` of the body, one
  ``INSERT … ON CONFLICT DO NOTHING`` into a table keyed like the ledger's (autocommit, asyncpg
  directly), then ack; the least any consumer that books each message durably can do;
- ledger: the ledger's real subscription run as the service runs it, by its batching consumer
  (``LEDGER_BATCH_SIZE``, default 500) and its set-based batch handler — envelope validation,
  inbox claim, account lookup, category rules, the transaction rows, their ``recorded`` events
  in the outbox, invoice matching for incomes; one commit per batch of already-delivered
  messages, then ack.

Each is timed from its first delivery to the commit of the last row. Prints transactions
committed per second for both and the ratio, the ledger's rows and events as a check, and
the machine's CPU count and load average; asserts nothing about speed.
"""

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import asyncpg
from sqlalchemy import func, select

import kasa_ledger
from kasa_contracts.events.integrations import TransactionImported
from kasa_contracts.events.ledger import TransactionRecorded
from kasa_integrations.plugins.base import plugin_actor
from kasa_integrations.plugins.demo import DemoBank, demo_transaction
from kasa_ledger.db.tables import Transaction
from kasa_ledger.main import subscriptions
from kasa_ledger.settings import LedgerSettings
from kasa_localstack import infra
from kasa_servicekit.consumers import consumer_for
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import Database
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.tables import outbox
from kasa_servicekit.topology import (
    EVENTS_EXCHANGE,
    QueuePolicy,
    declare_consumer_queue,
    declare_exchanges,
)

MIGRATIONS = Path(kasa_ledger.__file__).parent / "db" / "migrations"
# The bank queue as the service builds it, with the default LEDGER_BATCH_SIZE.
LEDGER_QUEUE = subscriptions(LedgerSettings.model_construct())[0]
BASELINE_QUEUE = "bench.raw-transactions"
PREFETCH = 200
STALL_S = IDLE_S = 120.0
"""A consumer that books nothing for this long has stopped: the run ends with an error."""

BASELINE_TABLE = """
CREATE TABLE raw_transactions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    source varchar(64) NOT NULL,
    external_id varchar(200) NOT NULL,
    type varchar(10) NOT NULL,
    amount numeric(20, 4) NOT NULL,
    currency varchar(3) NOT NULL,
    transacted_on date NOT NULL,
    body jsonb NOT NULL,
    UNIQUE (workspace_id, source, external_id)
)
"""
BASELINE_INSERT = """
INSERT INTO raw_transactions
    (id, workspace_id, source, external_id, type, amount, currency, transacted_on, body)
VALUES ($1, $2, $3, $4, $5, $6::text::numeric, $7, $8::text::date, $9::jsonb)
ON CONFLICT DO NOTHING
"""


def envelopes(count: int) -> list[bytes]:
    plugin, workspace, sync_id = DemoBank(), uuid.uuid4(), uuid.uuid4()
    writer, origin = EventWriter("integrations"), At(workspace, plugin_actor(plugin))
    bodies = []
    # The sync's id correlates its events, as in a real sync.
    token = correlation_id_var.set(str(sync_id))
    try:
        for i in range(count):
            payload = TransactionImported(
                plugin=plugin.name,
                plugin_version=plugin.version,
                sync_id=sync_id,
                **demo_transaction(i).model_dump(),
            )
            bodies.append(writer.envelope(payload, origin).model_dump_json().encode())
    finally:
        correlation_id_var.reset(token)
    return bodies


async def load(amqp_url: str, bodies: list[bytes], window: int = 1000) -> None:
    """Declare both queues, then publish every event once (confirmed) to ``kasa.events``."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        policy = QueuePolicy()
        events, _ = await declare_exchanges(channel, policy)
        await declare_consumer_queue(channel, LEDGER_QUEUE.queue, LEDGER_QUEUE.routing_keys, policy)
        raw = await channel.declare_queue(
            BASELINE_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await raw.bind(EVENTS_EXCHANGE, routing_key=TransactionImported.routing_key())
        slots = asyncio.Semaphore(window)

        async def publish(body: bytes) -> None:
            try:
                await events.publish(
                    aio_pika.Message(
                        body,
                        message_id=str(uuid.uuid4()),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=TransactionImported.routing_key(),
                    mandatory=True,
                )
            finally:
                slots.release()

        tasks = []
        for body in bodies:
            await slots.acquire()
            tasks.append(asyncio.create_task(publish(body)))
        await asyncio.gather(*tasks)
    finally:
        await connection.close()


async def baseline(amqp_url: str, pg_url: str, count: int) -> float:
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    assert pool is not None
    await pool.execute(BASELINE_TABLE)
    connection = await aio_pika.connect(amqp_url)
    done = asyncio.Event()
    booked = 0
    started: float | None = None
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(BASELINE_QUEUE, ensure=False)
        # A queue that stays empty for IDLE_S has lost messages: the run ends with an error.
        async with queue.iterator(timeout=IDLE_S) as messages:
            async for message in messages:
                if started is None:
                    started = time.perf_counter()
                envelope = json.loads(message.body)
                p = envelope["payload"]
                await pool.execute(
                    BASELINE_INSERT,
                    uuid.uuid4(),
                    uuid.UUID(envelope["workspace_id"]),
                    p["plugin"],
                    p["external_id"],
                    p["direction"],
                    p["amount"],
                    p["currency"],
                    p["booking_date"],
                    message.body.decode(),
                )
                await message.ack()
                booked += 1
                if booked == count:
                    done.set()
                    break
        assert started is not None
        return count / (time.perf_counter() - started)
    finally:
        await connection.close()
        await pool.close()


async def ledger(amqp_url: str, database_url: str, count: int) -> float:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    db = Database(database_url)
    connection = await aio_pika.connect(amqp_url)
    # As the service runs it: the bank queue booked in batches of what is already delivered.
    consumer = consumer_for(LEDGER_QUEUE, db, EventWriter("ledger"), prefetch=PREFETCH)
    try:
        channel = await connection.channel(publisher_confirms=True)
        started = time.perf_counter()
        running = asyncio.create_task(consumer.run(channel))
        booked, last, last_change = 0, -1, started
        while True:
            async with db.sessions() as session:
                booked = await session.scalar(select(func.count()).select_from(Transaction)) or 0
            if booked >= count:
                break
            if running.done():
                running.result()
            now = time.perf_counter()
            if booked != last:
                last, last_change = booked, now
            elif now - last_change > STALL_S:
                raise RuntimeError(f"the ledger stalled at {booked:,} of {count:,} transactions")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        async with db.sessions() as session:
            recorded = await session.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.routing_key == TransactionRecorded.routing_key())
            )
        print(f"ledger booked {booked:,} transactions and wrote {recorded:,} recorded events")
        return count / elapsed
    finally:
        await connection.close()
        await db.dispose()


async def measure(vhost_url: str, pg: str, names: list[str], count: int) -> None:
    raw_url, ledger_url = (infra.database_url(pg, name) for name in names)
    print(f"preparing {count:,} TransactionImported events …", flush=True)
    bodies = envelopes(count)
    started = time.perf_counter()
    await load(vhost_url, bodies)
    print(f"published to both queues in {time.perf_counter() - started:.1f} s", flush=True)
    raw_rate = await baseline(vhost_url, raw_url.replace("+asyncpg", ""), count)
    print(f"baseline (consume + INSERT, autocommit): {raw_rate:,.0f} transactions/s", flush=True)
    ledger_rate = await ledger(vhost_url, ledger_url, count)
    print(f"ledger (real consumer, PostgreSQL):      {ledger_rate:,.0f} transactions/s")
    print(f"ledger / baseline: {ledger_rate / raw_rate:.0%}")
    averages = ", ".join(f"{avg:.2f}" for avg in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {averages} (1, 5, 15 min)")


def main(count: int) -> None:
    # The infrastructure helpers run their own event loops, so they stay outside ours.
    amqp = infra.ensure_rabbitmq(os.environ.get("AMQP_URL", infra.DEFAULT_AMQP_URL))
    pg = infra.ensure_postgres(os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL))
    run = uuid.uuid4().hex[:8]
    vhost_url = infra.fresh_vhost(amqp, f"kasa-bench-ledger-{run}")
    names = [f"kasa_bench_{run}_raw", f"kasa_bench_{run}_ledger"]
    asyncio.run(infra.create_databases(pg, names))
    try:
        asyncio.run(measure(vhost_url, pg, names, count))
    finally:
        asyncio.run(infra.drop_databases(pg, names))
        if vhost_url != amqp:
            infra.delete_vhost(urlsplit(vhost_url).path.lstrip("/"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    main(parser.parse_args().transactions)
