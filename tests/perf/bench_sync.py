"""A 100,000-transaction demo sync, confirmed by RabbitMQ, next to a raw aio-pika baseline.

    uv run python tests/perf/bench_sync.py --transactions 100000 [--postgres]

Both runs publish to the same broker, into the same topology (``kasa.events`` with the archive
stream bound to ``#``), persistent messages with publisher confirms and mandatory routing:

- baseline: the very envelopes a sync produces, prepared in advance, published by aio-pika
  with a sliding window of unconfirmed messages (``--window``); the least any publisher can do;
- kasa: the real sync engine running the demo plugin (dedupe, imported records, the plugin's
  cursor, counters and events committed per batch of 500) while the real outbox relay claims,
  publishes and marks them; measured from the start of the sync to the broker's confirmation
  of the last event.

Prints events confirmed per second for both and the ratio; asserts nothing about speed.
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from pamqp import commands as spec
from sqlalchemy import func, select

import kasa_integrations
from kasa_contracts.events.integrations import TransactionImported
from kasa_integrations.app.sync_requests import request_sync
from kasa_integrations.app.sync_run import SyncWorker
from kasa_integrations.db.unit_of_work import transactions
from kasa_integrations.plugins.base import plugin_actor
from kasa_integrations.plugins.demo import DemoBank, demo_transaction
from kasa_localstack import infra
from kasa_servicekit.auth import Principal
from kasa_servicekit.bus import Bus
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import Database
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.outbox import OutboxRelay
from kasa_servicekit.tables import outbox
from kasa_servicekit.topology import QueuePolicy, declare_exchanges

MIGRATIONS = Path(kasa_integrations.__file__).parent / "db" / "migrations"
EVENTS = EventWriter("integrations")
CONFIRM_TIMEOUT_S = 1800.0
"""How long the relay may take, after the sync, to have every event confirmed."""


def envelopes(count: int) -> list[tuple[str, bytes]]:
    """The events a demo sync of ``count`` transactions writes, as (routing key, body)."""
    plugin, workspace, sync_id = DemoBank(), uuid.uuid4(), uuid.uuid4()
    origin = At(workspace, plugin_actor(plugin))
    out = []
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
            envelope = EVENTS.envelope(payload, origin)
            out.append((envelope.routing_key, envelope.model_dump_json().encode()))
    finally:
        correlation_id_var.reset(token)
    return out


async def baseline(amqp_url: str, bodies: list[tuple[str, bytes]], window: int) -> float:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        events, _ = await declare_exchanges(channel, QueuePolicy())
        slots = asyncio.Semaphore(window)
        # With the bus's deeper writer queue: importing kasa_servicekit.bus set it for every
        # aiormq connection of this process.
        underlay = await channel.get_underlay_channel()

        async def publish(routing_key: str, body: bytes) -> None:
            # aiormq directly, without a drain per frame: as fast as the relay's own publish.
            try:
                properties = spec.Basic.Properties(
                    message_id=str(uuid.uuid4()),
                    message_type=routing_key,
                    content_type="application/json",
                    delivery_mode=2,
                )
                await underlay.basic_publish(
                    body,
                    exchange=events.name,
                    routing_key=routing_key,
                    properties=properties,
                    mandatory=True,
                    wait=False,
                )
            finally:
                slots.release()

        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        for routing_key, body in bodies:
            await slots.acquire()
            task = asyncio.ensure_future(publish(routing_key, body))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await connection.close()


def _no_spawn(coro: Coroutine[Any, Any, None], name: str) -> None:
    coro.close()
    raise RuntimeError(f"the benchmark awaits its run; nothing spawns {name}")


async def kasa(amqp_url: str, database_url: str, count: int) -> dict[str, float]:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)  # it runs its own loop
    db = Database(database_url)
    bus = Bus(amqp_url, QueuePolicy())
    bus_task = asyncio.ensure_future(bus.run())
    await asyncio.wait_for(bus.ready.wait(), 30)
    relay = OutboxRelay(db, bus, batch_size=500, poll_seconds=0.05, retention=timedelta(days=1))
    relay_task = asyncio.ensure_future(relay.run())
    try:
        plugin = DemoBank()
        # The service's worker, bound to this database and writer as its runtime binds it. The
        # run is awaited here, never spawned in a task of its own.
        worker = SyncWorker({plugin.name: plugin}, None)
        worker.attach(transactions(db), EVENTS, _no_spawn)
        requester = Principal(user_id=uuid.uuid4(), workspace_id=uuid.uuid4(), role="owner")
        async with worker.begin() as uow:
            sync = await request_sync(uow, EVENTS, plugin, requester, {"count": count})
        started = time.perf_counter()
        # As a worker consuming the request: claim the run (SyncStarted), then run it.
        async with worker.begin() as uow:
            claimed = await worker.claim(uow, sync.id, EVENTS)
        if claimed is None:
            raise RuntimeError(f"sync {sync.id} could not be claimed")
        await worker.run(claimed)
        synced = time.perf_counter() - started
        async with worker.begin() as uow:
            ended = await uow.syncs.get(sync.id)
        if ended is None or ended.status != "completed":
            raise RuntimeError(f"sync {sync.id} did not complete: {ended and ended.status}")
        imported = TransactionImported.routing_key()
        deadline = started + synced + CONFIRM_TIMEOUT_S
        while time.perf_counter() < deadline:
            async with db.sessions() as session:
                waiting = await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
                confirmed = await session.scalar(
                    select(func.count())
                    .select_from(outbox)
                    .where(outbox.c.published_at.is_not(None), outbox.c.routing_key == imported)
                )
            if not waiting and confirmed >= count:
                break
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError(f"{confirmed:,} of {count:,} events confirmed in time")
        total = time.perf_counter() - started
        return {"sync_s": synced, "confirmed_s": total, "confirmed": float(confirmed or 0)}
    finally:
        relay_task.cancel()
        bus_task.cancel()
        await asyncio.gather(relay_task, bus_task, return_exceptions=True)
        await db.dispose()


async def run(args: argparse.Namespace, amqp: str, pg_admin: str | None) -> None:
    run_id = uuid.uuid4().hex[:8]
    vhost_url = infra.fresh_vhost(amqp, f"kasa-bench-sync-{run_id}")
    database = None
    tmp = tempfile.TemporaryDirectory()
    try:
        if pg_admin:
            database = f"kasa_bench_sync_{run_id}"
            await infra.create_databases(pg_admin, [database])
            database_url = infra.database_url(pg_admin, database)
        else:
            database_url = f"sqlite+aiosqlite:///{tmp.name}/integrations.db"

        print(f"preparing {args.transactions:,} envelopes for the baseline…", flush=True)
        bodies = envelopes(args.transactions)
        size = sum(len(b) for _, b in bodies) / len(bodies)
        raw_s = await baseline(vhost_url, bodies, args.window)
        raw_rate = args.transactions / raw_s
        print(
            f"baseline (aio-pika, window {args.window}): {raw_s:6.1f} s  {raw_rate:9,.0f} events/s"
        )

        result = await kasa(vhost_url, database_url, args.transactions)
        rate = result["confirmed"] / result["confirmed_s"]
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"kasa sync ({backend}): sync {result['sync_s']:6.1f} s, last event confirmed at "
            f"{result['confirmed_s']:6.1f} s  {rate:9,.0f} events/s"
        )
        print(f"average message size {size:,.0f} bytes; kasa / baseline = {rate / raw_rate:.0%}")
    finally:
        if pg_admin and database:
            await infra.drop_databases(pg_admin, [database])
        if vhost_url != amqp:
            infra.delete_vhost(urlsplit(vhost_url).path.lstrip("/"))
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=500, help="baseline unconfirmed window")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    # The infrastructure helpers run their own event loops, so they go first.
    amqp = infra.ensure_rabbitmq(os.environ.get("AMQP_URL", infra.DEFAULT_AMQP_URL))
    pg_admin = (
        infra.ensure_postgres(os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL))
        if args.postgres
        else None
    )
    asyncio.run(run(args, amqp, pg_admin))


if __name__ == "__main__":
    main()
