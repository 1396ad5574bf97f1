"""The whole system on PostgreSQL and quorum queues, next to a raw pipeline in the same run.

    uv run python tests/perf/bench_system.py --transactions 100000 [--million]

- **raw**: the strongest plain code for the same trip. The very envelopes a demo sync of N
  publishes go out with aio-pika and pipelined publisher confirms into one topic exchange that
  routes each to two quorum queues. Two consumers (one standing for the ledger, one for the
  audit trail) each batch 500 deliveries per asyncpg transaction: an inbox claim and an
  idempotent insert, set-based, then one multi-ack. Timed from the first publish until both
  have committed all N.
- **kasa**: every service as its own process (``kasa_localstack.stack``), each on its own
  PostgreSQL database as its own role, on the broker topology the services declare (quorum
  queues). One user requests a demo sync of N through the gateway; timed from the request
  until the ledger holds N transactions and the audit trail N ``TransactionImported`` entries
  (the figure of the headline), and, further, until it also holds the ledger's N
  ``TransactionRecorded``.

For both it prints the rate, the ratio, and the CPU milliseconds per transaction of every
process (each service, RabbitMQ, PostgreSQL, this script), read from ``/proc``, and each
service's resident memory before and at its peak. Asserts nothing about speed.

``--million`` runs 1,000,000 transactions as ten demo syncs of 100,000 (the demo plugin's cap
per run) into one workspace, each from the next offset, requested one after another as the
previous one finishes; it prints the rate of each further 100,000 the ledger holds.
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import orjson
from bench_sync import envelopes  # the very envelopes a demo sync publishes
from pamqp import commands as spec

from kasa_integrations.plugins.demo import MAX_COUNT
from kasa_localstack import infra
from kasa_localstack.stack import PROCESSES, SERVICES, Stack, StackConfig
from kasa_localstack.testing import KasaClient, free_port

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
RAW_BATCH = 500
RAW_WINDOW = 1000
"""Unconfirmed messages the raw publisher keeps in flight."""
BROKER_PROCESSES = {"beam.smp", "erl_child_setup", "epmd", "inet_gethost"}


# --- /proc accounting --------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(command, parent, process group, CPU ticks, resident pages) of a live process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the command: state(0) ppid(1) pgrp(2) … utime(11) stime(12) … rss(21)
    return comm, int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]), int(fields[21])


def _pids() -> Iterable[int]:
    return (int(name) for name in os.listdir("/proc") if name.isdigit())


@dataclass
class Meter:
    """CPU time and peak memory per named group of processes, sampled from ``/proc``.

    A process first seen during the measurement counts from zero (it started during it); one
    that ends keeps what it had used at its last sample, so sampling often loses little.
    """

    groups: dict[int, str] = field(default_factory=dict)
    """Process group id → name (each service is started in a session of its own)."""
    own_pid: int = field(default_factory=os.getpid)
    first: dict[int, int] = field(default_factory=dict)
    last: dict[int, tuple[str, int]] = field(default_factory=dict)
    rss_start: dict[str, int] = field(default_factory=dict)
    rss_peak: dict[str, int] = field(default_factory=dict)
    started: bool = False

    def _group(self, pid: int, comm: str, ppid: int, pgrp: int) -> str | None:
        if pgrp in self.groups:
            return self.groups[pgrp]
        if comm.startswith("postgres"):
            return "postgresql"
        if comm in BROKER_PROCESSES:
            return "rabbitmq"
        if pid == self.own_pid:
            return "bench"
        if ppid == self.own_pid:
            return "raw consumers"
        return None

    def sample(self) -> None:
        rss: dict[str, int] = {}
        for pid in _pids():
            stat = _stat(pid)
            if stat is None:
                continue
            comm, ppid, pgrp, ticks, pages = stat
            group = self._group(pid, comm, ppid, pgrp)
            if group is None:
                continue
            self.first.setdefault(pid, ticks if not self.started else 0)
            self.last[pid] = (group, ticks)
            rss[group] = rss.get(group, 0) + pages * PAGE
        for group, size in rss.items():
            self.rss_start.setdefault(group, size)
            self.rss_peak[group] = max(self.rss_peak.get(group, 0), size)

    def start(self) -> None:
        self.first.clear()
        self.last.clear()
        self.rss_start.clear()
        self.rss_peak.clear()
        self.started = False
        self.sample()
        self.started = True

    def cpu_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (group, ticks) in self.last.items():
            out[group] = out.get(group, 0.0) + (ticks - self.first.get(pid, 0)) / TICK
        return out

    async def run(self, every: float = 0.5) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def metered(meter: Meter):  # type: ignore[no-untyped-def]
    meter.start()
    task = asyncio.ensure_future(meter.run())
    try:
        yield meter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        meter.sample()


def report(title: str, count: int, seconds: float, meter: Meter, memory: bool = False) -> None:
    print(f"\n{title}: {count:,} transactions in {seconds:,.1f} s = {count / seconds:,.0f} tx/s")
    cpu = meter.cpu_seconds()
    total = sum(cpu.values())
    print(f"  {'process':<14}{'CPU ms/tx':>10}{'CPU s':>9}{'share':>7}", end="")
    print(f"{'RSS start':>11}{'RSS peak':>10}{'growth':>9}" if memory else "")
    for group, secs in sorted(cpu.items(), key=lambda kv: -kv[1]):
        line = f"  {group:<14}{secs * 1000 / count:>10.2f}{secs:>9.1f}{secs / total:>7.0%}"
        if memory:
            start = meter.rss_start.get(group, 0) / 2**20
            peak = meter.rss_peak.get(group, 0) / 2**20
            line += f"{start:>9.0f}MB{peak:>8.0f}MB{peak - start:>7.0f}MB"
        print(line)
    print(f"  {'all':<14}{total * 1000 / count:>10.2f}{total:>9.1f}")


# --- the raw pipeline --------------------------------------------------------------------


RAW_SCHEMA = {
    "ledger": """
        CREATE TABLE inbox (event_id uuid PRIMARY KEY);
        CREATE TABLE transactions (
            id uuid PRIMARY KEY, workspace_id uuid NOT NULL, external_id text NOT NULL,
            amount numeric(18, 2) NOT NULL, currency char(3) NOT NULL, booked_on date NOT NULL,
            description text, counterparty text, UNIQUE (workspace_id, external_id))
    """,
    "audit": """
        CREATE TABLE inbox (event_id uuid PRIMARY KEY);
        CREATE TABLE entries (
            event_id uuid PRIMARY KEY, workspace_id uuid NOT NULL, event_type text NOT NULL,
            occurred_at timestamptz NOT NULL, body jsonb NOT NULL)
    """,
}
RAW_INSERT = {
    "ledger": """
        INSERT INTO transactions
        SELECT gen_random_uuid(), w, x, a, c, d, t, p
        FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::date[], $6::text[],
                    $7::text[]) AS r(w, x, a, c, d, t, p)
        ON CONFLICT DO NOTHING
    """,
    "audit": """
        INSERT INTO entries
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::jsonb[])
        ON CONFLICT DO NOTHING
    """,
}


def _rows(kind: str, events: list[dict[str, Any]], bodies: list[bytes]) -> list[list[Any]]:
    if kind == "audit":
        return [
            [e["event_id"] for e in events],
            [e["workspace_id"] for e in events],
            [e["event_type"] for e in events],
            [e["occurred_at"] for e in events],
            [b.decode() for b in bodies],
        ]
    data = [e["payload"] for e in events]
    return [
        [e["workspace_id"] for e in events],
        [d["external_id"] for d in data],
        [d["amount"] for d in data],
        [d["currency"] for d in data],
        [d["booking_date"] for d in data],
        [d.get("message") for d in data],
        [d.get("counterparty_name") for d in data],
    ]


async def raw_consumer(
    kind: str, amqp_url: str, database_url: str, queue_name: str, count: int
) -> float:
    """Consume ``count`` messages in batches; returns when the last batch committed."""
    from datetime import date, datetime
    from decimal import Decimal

    pg = await asyncpg.connect(database_url)
    connection = await aio_pika.connect(amqp_url)
    done_at = 0.0
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=RAW_BATCH * 2)
        queue = await channel.get_queue(queue_name)
        buffer: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()

        async def deliver(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            buffer.put_nowait(message)

        tag = await queue.consume(deliver)
        committed = 0
        while committed < count:
            batch = [await buffer.get()]
            while len(batch) < RAW_BATCH:
                try:
                    batch.append(buffer.get_nowait())
                except asyncio.QueueEmpty:
                    if len(batch) >= RAW_BATCH // 10:
                        break
                    try:
                        batch.append(await asyncio.wait_for(buffer.get(), 0.005))
                    except TimeoutError:
                        break
            bodies = [m.body for m in batch]
            events = [orjson.loads(b) for b in bodies]
            async with pg.transaction():
                claimed = set(
                    await pg.fetchval(
                        "WITH c AS (INSERT INTO inbox SELECT unnest($1::uuid[]) "
                        "ON CONFLICT DO NOTHING RETURNING event_id) SELECT array_agg(event_id) "
                        "FROM c",
                        [uuid.UUID(e["event_id"]) for e in events],
                    )
                    or ()
                )
                fresh = [
                    (e, b)
                    for e, b in zip(events, bodies, strict=True)
                    if uuid.UUID(e["event_id"]) in claimed
                ]
                if fresh:
                    columns = _rows(kind, [e for e, _ in fresh], [b for _, b in fresh])
                    if kind == "ledger":
                        columns[0] = [uuid.UUID(v) for v in columns[0]]
                        columns[2] = [Decimal(v) for v in columns[2]]
                        columns[4] = [date.fromisoformat(v) for v in columns[4]]
                    else:
                        columns[0] = [uuid.UUID(v) for v in columns[0]]
                        columns[1] = [uuid.UUID(v) for v in columns[1]]
                        columns[3] = [datetime.fromisoformat(v) for v in columns[3]]
                    await pg.execute(RAW_INSERT[kind], *columns)
            await batch[-1].ack(multiple=True)
            committed += len(batch)
        done_at = time.perf_counter()
        await queue.cancel(tag)
        return done_at
    finally:
        await connection.close()
        await pg.close()


def run_raw_consumer(*args: Any) -> float:
    return asyncio.run(raw_consumer(*args))


async def raw_pipeline(
    amqp_url: str, pg_admin: str, bodies: list[tuple[str, bytes]], run_id: str
) -> float:
    count = len(bodies)
    names = {kind: f"kasa_bench_raw_{run_id}_{kind}" for kind in RAW_SCHEMA}
    await infra.create_databases(pg_admin, list(names.values()))
    urls = {
        kind: infra.database_url(pg_admin, name).replace("+asyncpg", "")
        for kind, name in names.items()
    }
    try:
        for kind, url in urls.items():
            pg = await asyncpg.connect(url)
            await pg.execute(RAW_SCHEMA[kind])
            await pg.close()
        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.declare_exchange(
            "bench.raw", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for kind in RAW_SCHEMA:
            queue = await channel.declare_queue(
                f"bench.raw.{kind}", durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(exchange, "#")
        # Each consumer in a process of its own, as each service is.
        processes = ProcessPoolExecutor(len(urls), mp_context=multiprocessing.get_context("spawn"))
        loop = asyncio.get_running_loop()
        consumers = [
            loop.run_in_executor(
                processes, run_raw_consumer, k, amqp_url, u, f"bench.raw.{k}", count
            )
            for k, u in urls.items()
        ]
        await asyncio.sleep(3)  # let them start and subscribe before the clock starts
        window = asyncio.Semaphore(RAW_WINDOW)
        pending: set[asyncio.Future[Any]] = set()
        started = time.perf_counter()

        # With the bus's deeper writer queue: importing kasa_servicekit.bus set it for every
        # aiormq connection of this process.
        underlay = await channel.get_underlay_channel()

        async def publish(routing_key: str, body: bytes) -> None:
            # aiormq directly, without a drain per frame (wait=False): the fastest confirmed
            # publish aio-pika's stack offers, as the services' bus uses it.
            try:
                properties = spec.Basic.Properties(
                    message_id=str(uuid.uuid4()),
                    message_type=routing_key,
                    content_type="application/json",
                    delivery_mode=2,
                )
                await underlay.basic_publish(
                    body,
                    exchange=exchange.name,
                    routing_key=routing_key,
                    properties=properties,
                    mandatory=True,
                    wait=False,
                )
            finally:
                window.release()

        for routing_key, body in bodies:
            await window.acquire()
            task = asyncio.ensure_future(publish(routing_key, body))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        ended = max(await asyncio.gather(*consumers))
        processes.shutdown()
        for kind in RAW_SCHEMA:
            await channel.queue_delete(f"bench.raw.{kind}")
        await channel.exchange_delete("bench.raw")
        await connection.close()
        return ended - started
    finally:
        await infra.drop_databases(pg_admin, list(names.values()))


# --- the system --------------------------------------------------------------------------


@dataclass
class SystemRun:
    sync_done: float = 0.0
    audit_imported: float = 0.0
    ledger_all: float = 0.0
    audit_all: float = 0.0
    # When the ledger first held each further step of transactions: whether the rate holds
    # as the workspace grows.
    ledger_steps: list[tuple[int, float]] = field(default_factory=list)


async def _count(url: str, sql: str, *args: Any) -> int:
    pg = await asyncpg.connect(url)
    try:
        return int(await pg.fetchval(sql, *args))
    finally:
        await pg.close()


async def system_run(
    stack: Stack, databases: dict[str, infra.ServiceDatabase], syncs: list[int]
) -> tuple[int, SystemRun]:
    user = KasaClient(stack.config.url("gateway"))
    await user.register_and_login(f"bench-{uuid.uuid4().hex[:8]}@example.com")
    workspace = uuid.UUID(user.user["workspace_id"])
    total = sum(syncs)
    ledger_url = databases["ledger"].migration_url.replace("+asyncpg", "")
    audit_url = databases["audit"].migration_url.replace("+asyncpg", "")
    result = SystemRun()
    step = max(syncs)
    started = time.perf_counter()

    async def request_syncs() -> None:
        offset = 0
        for n in syncs:
            await user.sign_in_again()  # ten syncs outlive one access token
            sync_id = await user.start_sync(n, offset=offset)
            offset += n
            await user.wait_sync(sync_id, timeout=7200)
        result.sync_done = time.perf_counter() - started

    syncing = asyncio.ensure_future(request_syncs())
    # Counting a million rows twice a second would itself load PostgreSQL.
    poll_s = 0.5 if total <= 100_000 else 2.0
    try:
        while True:
            await asyncio.sleep(poll_s)
            now = time.perf_counter() - started
            if syncing.done():
                syncing.result()
            if not result.ledger_all:
                booked = await _count(
                    ledger_url,
                    "SELECT count(*) FROM transactions WHERE workspace_id = $1",
                    workspace,
                )
                while booked >= step * (len(result.ledger_steps) + 1):
                    result.ledger_steps.append((step * (len(result.ledger_steps) + 1), now))
                if booked >= total:
                    result.ledger_all = now
            if not result.audit_all:
                pg = await asyncpg.connect(audit_url)
                try:
                    row = await pg.fetchrow(
                        "SELECT count(*) FILTER (WHERE event_type = $2) AS imported, "
                        "count(*) FILTER (WHERE event_type = $3) AS recorded "
                        "FROM audit_entries WHERE workspace_id = $1",
                        workspace,
                        "integrations.transaction.imported",
                        "ledger.transaction.recorded",
                    )
                finally:
                    await pg.close()
                if not result.audit_imported and row["imported"] >= total:
                    result.audit_imported = now
                if row["imported"] >= total and row["recorded"] >= total:
                    result.audit_all = now
            if result.ledger_all and result.audit_all and syncing.done():
                return total, result
    finally:
        syncing.cancel()
        await user.close()


async def main_async(args: argparse.Namespace, amqp: str, pg_admin: str) -> None:
    run_id = uuid.uuid4().hex[:8]
    vhost_url = infra.fresh_vhost(amqp, f"kasa-bench-system-{run_id}")
    syncs = [MAX_COUNT] * 10 if args.million else [args.transactions]
    total = sum(syncs)
    meter = Meter()
    print(f"{os.cpu_count()} CPUs; {total:,} transactions; load {os.getloadavg()[0]:.1f}")

    if not args.skip_raw:
        bodies = envelopes(total)  # prepared before the meter starts: the sync makes its own
        async with metered(meter):
            raw_s = await raw_pipeline(vhost_url, pg_admin, bodies, run_id)
        del bodies
        report("raw pipeline (aio-pika, asyncpg, quorum queues)", total, raw_s, meter)

    names = {name: f"kasa_bench_{run_id}_{name}" for name in SERVICES}
    databases = await infra.create_service_databases(
        pg_admin, names, role_prefix=f"kasa_bench_{run_id}"
    )
    data_dir = ROOT / ".data" / f"bench-system-{run_id}"
    config = StackConfig(
        amqp_url=vhost_url,
        database_urls={s: db.runtime_url for s, db in databases.items()},
        migration_database_urls={s: db.migration_url for s, db in databases.items()},
        data_dir=data_dir,
        ports={name: free_port() for name in PROCESSES},
        broker_user_prefix=f"kasa-bench-{run_id}-",
        extra_env={"LOG_FORMAT": "text"},
    )
    stack = Stack(config, log_dir=data_dir / "logs")
    try:
        await stack.start()
        meter.groups = {
            s.process.pid: name for name, s in stack.services.items() if s.process is not None
        }
        async with metered(meter):
            count, run = await system_run(stack, databases, syncs)
        end_to_end = max(run.ledger_all, run.audit_imported)
        print(
            f"\nkasa: sync finished {run.sync_done:,.1f} s, audit holds the imports "
            f"{run.audit_imported:,.1f} s, ledger holds all {run.ledger_all:,.1f} s, audit holds "
            f"the bookings too {run.audit_all:,.1f} s"
        )
        report("kasa end to end (ledger and audit hold all)", count, end_to_end, meter, True)
        if len(run.ledger_steps) > 1:
            print("\nledger bookings per step (as the workspace grows):")
            before = (0, 0.0)
            for held, at in run.ledger_steps:
                rate = (held - before[0]) / (at - before[1])
                print(f"  {held:>9,} held at {at:8.1f} s: {rate:6.0f} tx/s in this step")
                before = (held, at)
        if not args.skip_raw:
            print(
                f"\nkasa / raw = {(count / end_to_end) / (total / raw_s):.0%} "
                f"(to the audit trail holding the bookings too: "
                f"{(count / run.audit_all) / (total / raw_s):.0%})"
            )
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        stack.stop()
        await infra.drop_service_databases(pg_admin, databases.values())
        infra.delete_broker_users(
            urlsplit(url).username or "" for url in config.broker_urls.values()
        )
        if vhost_url != amqp:
            infra.delete_vhost(urlsplit(vhost_url).path.lstrip("/"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument(
        "--million", action="store_true", help="1,000,000 transactions as ten syncs"
    )
    parser.add_argument("--skip-raw", action="store_true", help="measure the system only")
    args = parser.parse_args()
    if not 1 <= args.transactions <= MAX_COUNT:
        parser.error(f"--transactions must be 1 … {MAX_COUNT:,} (more: --million)")
    amqp = infra.ensure_rabbitmq(os.environ.get("AMQP_URL", infra.DEFAULT_AMQP_URL))
    pg_admin = infra.ensure_postgres(os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL))
    asyncio.run(main_async(args, amqp, pg_admin))


if __name__ == "__main__":
    main()
