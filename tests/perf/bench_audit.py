"""Audit ingestion on RabbitMQ and PostgreSQL, next to a raw consume-and-insert baseline.

    uv run python tests/perf/bench_audit.py --events 100000 --workspaces 1000

Publishes N ``integrations.transaction.imported`` events spread over many workspaces to
``kasa.events`` once; the broker routes a copy to ``audit.all`` and one to a baseline queue.
Then, one after the other on the same broker and PostgreSQL server:

- baseline: an aio-pika consumer (same prefetch) that inserts each message into one table
  with asyncpg and acks after the commit; the least a durable consumer can do;
- audit: the real service as a process (``kasa-audit serve``, its own replicas optional),
  with inbox, archive, the chained entry and the locked chain head per event.

Rates are entries committed per second between the first and the last commit. Afterwards every
workspace's chain is verified. Prints figures; asserts nothing about speed.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import asyncpg

import kasa_audit
from kasa_audit.db.chain import entries_in_order, head_of
from kasa_audit.domain.chain import ChainWalk
from kasa_contracts import Actor
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_localstack import infra
from kasa_localstack.stack import ServiceProcess, StackConfig
from kasa_localstack.testing import free_port
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import Database
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.topology import (
    EVENTS_EXCHANGE,
    QueuePolicy,
    declare_consumer_queue,
    declare_exchanges,
)

AUDIT_QUEUE = "audit.all"
BASELINE_QUEUE = "bench.baseline"
PREFETCH = 200
IDLE_S = 120.0
MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
PRODUCER = EventWriter("integrations")
DEMO_ACTOR = Actor(type="plugin", id="demo", name="Demo bank")


def event_body(workspace: uuid.UUID, sync_id: uuid.UUID, i: int) -> tuple[str, bytes]:
    payload = TransactionImported(
        plugin="demo",
        plugin_version="1.0.0",
        sync_id=sync_id,
        account=BankAccountRef(
            provider_account_id="demo-1", iban="CZ6508000000192000145399", currency="CZK"
        ),
        external_id=f"demo-{i}",
        booking_date=date(2026, 3, 1),
        amount=Decimal("1234.50"),
        direction="income",
        currency="CZK",
        counterparty_name="Acme s.r.o.",
        counterparty_account="123456789/0800",
        message="Invoice 2026-0001",
        variable_symbol="20260001",
        raw={"id": i, "note": "x" * 200},
    )
    # The sync's id correlates its events, as in a real sync.
    token = correlation_id_var.set(str(sync_id))
    try:
        envelope = PRODUCER.envelope(payload, At(workspace, DEMO_ACTOR))
    finally:
        correlation_id_var.reset(token)
    return envelope.routing_key, envelope.model_dump_json().encode()


async def publish(amqp_url: str, events: int, workspaces: int, *, baseline: bool = True) -> float:
    ids = [uuid.uuid4() for _ in range(workspaces)]
    syncs = {ws: uuid.uuid4() for ws in ids}
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        policy = QueuePolicy()
        await declare_exchanges(channel, policy)
        await declare_consumer_queue(channel, AUDIT_QUEUE, ("#",), policy)
        queue = await channel.declare_queue(
            BASELINE_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        if baseline:
            await queue.bind(EVENTS_EXCHANGE, routing_key="#")
        else:
            await queue.unbind(EVENTS_EXCHANGE, routing_key="#")
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        started = time.perf_counter()
        for start in range(0, events, 1000):
            batch = []
            for i in range(start, min(start + 1000, events)):
                workspace = ids[i % workspaces]
                key, body = event_body(workspace, syncs[workspace], i)
                message = aio_pika.Message(
                    body,
                    message_id=str(uuid.uuid4()),
                    type=key,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                batch.append(exchange.publish(message, routing_key=key, mandatory=True))
            await asyncio.gather(*batch)
        return time.perf_counter() - started
    finally:
        await connection.close()


BASELINE_TABLE = """
CREATE TABLE IF NOT EXISTS received (
    event_id uuid PRIMARY KEY,
    routing_key text NOT NULL,
    workspace_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    body text NOT NULL
)
"""


async def baseline(amqp_url: str, pg_url: str, events: int) -> tuple[float, int]:
    """Consume-and-insert with nothing else: parse, one INSERT (its own commit), ack."""
    db = await asyncpg.connect(pg_url)
    await db.execute(BASELINE_TABLE)
    insert = await db.prepare(
        "INSERT INTO received VALUES ($1, $2, $3, $4::text::timestamptz, $5) ON CONFLICT DO NOTHING"
    )
    connection = await aio_pika.connect(amqp_url)
    done = asyncio.Event()
    count, first, last = 0, 0.0, 0.0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal count, first, last
        data = json.loads(message.body)
        await insert.fetch(
            uuid.UUID(data["event_id"]),
            message.routing_key,
            uuid.UUID(data["workspace_id"]),
            data["occurred_at"],
            message.body.decode(),
        )
        await message.ack()
        count += 1
        last = time.perf_counter()
        if count == 1:
            first = last
        if count >= events:
            done.set()

    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(BASELINE_QUEUE, ensure=False)
        # Messages handled one after another, like one consumer of the service kit.
        # A queue that stays empty for IDLE_S has lost messages: the run ends with an error.
        async with queue.iterator(timeout=IDLE_S) as messages:
            async for message in messages:
                await on_message(message)
                if done.is_set():
                    break
    finally:
        await connection.close()
        await db.close()
    return last - first, count


async def committed(pg_url: str) -> int:
    db = await asyncpg.connect(pg_url)
    try:
        return int(await db.fetchval("SELECT coalesce(sum(seq), 0) FROM chain_heads"))
    finally:
        await db.close()


async def audit_run(
    amqp_url: str, database_url: str, events: int, replicas: int, log_dir: Path, batch_size: int
) -> tuple[float, int]:
    """Start the audit service (N processes) and time the commits of the queued events."""
    pg_url = database_url.replace("+asyncpg", "")
    processes: list[ServiceProcess] = []
    for _ in range(replicas):
        config = StackConfig(
            amqp_url=amqp_url,
            database_urls={"audit": database_url},
            data_dir=log_dir,
            ports={"audit": free_port(), "gateway": free_port()},
            env="test",
            extra_env={
                "LOG_LEVEL": "WARNING",
                "CONSUMER_PREFETCH": str(PREFETCH),
                "AUDIT_BATCH_SIZE": str(batch_size),
            },
        )
        processes.append(ServiceProcess("audit", config, log_dir=log_dir / f"r{len(processes)}"))
    try:
        for process in processes:
            process.start()
        await asyncio.gather(*(p.wait_ready(120) for p in processes))
        first_at, first_count, count = None, 0, 0
        last_change, last_count = time.perf_counter(), -1
        while count < events:
            await asyncio.sleep(0.25)
            count = await committed(pg_url)
            now = time.perf_counter()
            if count and first_at is None:
                first_at, first_count = now, count
            if count != last_count:
                last_change, last_count = now, count
            elif now - last_change > 60:
                print(f"  audit stalled at {count} entries", file=sys.stderr)
                break
        assert first_at is not None
        return last_change - first_at, count - first_count
    finally:
        for process in processes:
            process.stop()


async def verify_all(database_url: str) -> tuple[int, int, float]:
    db = Database(database_url)
    pg = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        workspaces = [r[0] for r in await pg.fetch("SELECT workspace_id FROM chain_heads")]
        started, checked, broken = time.perf_counter(), 0, 0
        for workspace in workspaces:
            walk = ChainWalk()
            async for row in entries_in_order(db, workspace):
                if not walk.step(row, row["prev_hash"], row["hash"]):
                    break
            head = await head_of(db, workspace)
            walk.finish(head.seq if head else 0, head.hash if head else None)
            checked += walk.checked
            broken += 0 if walk.ok else 1
        return checked, broken, time.perf_counter() - started
    finally:
        await pg.close()
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=1, help="audit processes")
    parser.add_argument("--batch-size", type=int, default=200, help="AUDIT_BATCH_SIZE")
    parser.add_argument(
        "--one-by-one-events",
        type=int,
        default=0,
        help="then also time audit with AUDIT_BATCH_SIZE=1 on this many events",
    )
    args = parser.parse_args()

    amqp = await asyncio.to_thread(
        infra.ensure_rabbitmq, os.environ.get("AMQP_URL", infra.DEFAULT_AMQP_URL)
    )
    pg_admin = await asyncio.to_thread(
        infra.ensure_postgres, os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL)
    )
    run = uuid.uuid4().hex[:8]
    vhost_url = await asyncio.to_thread(infra.fresh_vhost, amqp, f"kasa-bench-{run}")
    names = [f"kasa_bench_{run}_audit", f"kasa_bench_{run}_baseline", f"kasa_bench_{run}_single"]
    await infra.create_databases(pg_admin, names)
    audit_url, baseline_url, single_url = (infra.database_url(pg_admin, n) for n in names)
    log_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-audit-"))
    try:
        for url in (audit_url, single_url):
            await asyncio.to_thread(upgrade, MIGRATIONS, url)
        print(
            f"events {args.events}, workspaces {args.workspaces}, audit processes "
            f"{args.replicas}, prefetch {PREFETCH}, cpus {os.cpu_count()}"
        )
        seconds = await publish(vhost_url, args.events, args.workspaces)
        print(f"published        {args.events / seconds:9.0f} events/s ({seconds:.1f} s)")

        seconds, count = await baseline(
            vhost_url, baseline_url.replace("+asyncpg", ""), args.events
        )
        base_rate = count / seconds
        print(f"baseline         {base_rate:9.0f} inserts/s ({count} in {seconds:.1f} s)")

        seconds, count = await audit_run(
            vhost_url, audit_url, args.events, args.replicas, log_dir, args.batch_size
        )
        audit_rate = count / seconds
        print(f"audit            {audit_rate:9.0f} entries/s ({count} in {seconds:.1f} s)")
        print(f"audit / baseline {audit_rate / base_rate:9.0%}")

        checked, broken, seconds = await verify_all(audit_url)
        print(f"verified         {checked} entries, {broken} broken chains, {seconds:.1f} s")

        if args.one_by_one_events:
            n = args.one_by_one_events
            await publish(vhost_url, n, args.workspaces, baseline=False)
            seconds, count = await audit_run(vhost_url, single_url, n, args.replicas, log_dir, 1)
            rate = count / seconds
            print(f"audit 1 by 1     {rate:9.0f} entries/s ({count} in {seconds:.1f} s)")
            print(f"1 by 1 / base    {rate / base_rate:9.0%}")
    finally:
        await infra.drop_databases(pg_admin, names)
        if vhost_url != amqp:
            await asyncio.to_thread(infra.delete_vhost, urlsplit(vhost_url).path.lstrip("/"))
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
