"""Kasa at two replicas of every process, on a 3-node RabbitMQ cluster and a PostgreSQL of its
own, for tests that stop a broker node, kill replicas and restart the database under load.

Everything here is started by these fixtures and stopped by them, by process id, also when a
test fails: the broker nodes (``RabbitCluster``: their own names, ports, data and port
mapper), the database server (``PrivatePostgres``, restartable without touching the
machine's own), and twelve service processes. In front of the broker nodes and of each pair of
replicas sits a round-robin ``Balancer`` that skips a backend that refuses, as a Kubernetes
Service would; the services know only those addresses. Each service runs as its own database
role and broker user, as in production.

Ports: one of three slots, the first one free, so that runs on one machine do not collide.
Slot i: broker nodes 5781+6i to 5783+6i, their port mapper 5784+6i, their distribution ports
25781+6i to 25783+6i and the tools' 25784+6i to 25786+6i; PostgreSQL 55781+i. Everything
else is on free ports.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from kasa_localstack import infra
from kasa_localstack.balancer import Balancer
from kasa_localstack.mail_sink import MailSink
from kasa_localstack.private_postgres import PrivatePostgres
from kasa_localstack.rabbit_cluster import RabbitCluster
from kasa_localstack.stack import PROCESSES, SERVICES, ServiceProcess, Stack, StackConfig
from kasa_localstack.testing import KasaClient, free_port, run_kasa
from kasa_localstack.testing import verified as verified_user

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("a", "b")
SLOTS = 3
READY_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Ports:
    """The fixed ports of one cluster run (see the module's docstring)."""

    amqp: tuple[int, ...]
    epmd: int
    dist: tuple[int, ...]
    cli: tuple[int, int]
    postgres: int

    @classmethod
    def slot(cls, i: int) -> "Ports":
        step = 6 * i
        return cls(
            amqp=tuple(5781 + step + n for n in range(3)),
            epmd=5784 + step,
            dist=tuple(25781 + step + n for n in range(3)),
            cli=(25784 + step, 25786 + step),
            postgres=55781 + i,
        )

    def all(self) -> list[int]:
        return [*self.amqp, self.epmd, *self.dist, *range(self.cli[0], self.cli[1] + 1)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: two replicas of every service on a 3-node broker cluster"
    )


@dataclass
class Cluster:
    """The running system and the handles a test needs to break it."""

    rabbit: RabbitCluster
    broker: Balancer
    postgres: PrivatePostgres
    databases: dict[str, infra.ServiceDatabase]
    config: StackConfig
    replicas: dict[str, dict[str, ServiceProcess]]
    balancers: dict[str, Balancer]
    mail: MailSink
    log_dir: Path
    stack: Stack = field(repr=False)

    @property
    def gateway(self) -> str:
        """The gateway pair's balancer: where users reach Kasa."""
        return self.balancers["gateway"].url

    def replica(self, service: str, name: str) -> ServiceProcess:
        return self.replicas[service][name]

    def owner_url(self, service: str) -> str:
        """``service``'s database as its owner, for asyncpg (tests read rows directly)."""
        return self.databases[service].migration_url.replace("+asyncpg", "")

    def kasa_env(self) -> dict[str, str]:
        """``kasa``'s environment: every replica's ops listener, the replay user, the token."""
        assert self.config.ops_token
        urls = {
            f"KASA_{service.upper()}_OPS_URL": ",".join(
                r.ops_url for r in self.replicas[service].values()
            )
            for service in SERVICES
        }
        return {
            "AMQP_URL": self.config.broker_url("ops"),
            "OPS_TOKEN": self.config.ops_token,
            **urls,
        }

    async def kasa(self, *args: str, expect_code: int | None = 0) -> Any:
        """Run ``kasa … --json`` as this system's operator; its parsed report."""
        code, report = await run_kasa(self.kasa_env(), *args)
        if expect_code is not None:
            assert code == expect_code, report
        return report

    async def user(self) -> KasaClient:
        """A new account with a verified address, signed in through the gateway balancer."""
        client = KasaClient(self.gateway)
        await client.register_and_login(f"user-{uuid.uuid4().hex[:10]}@example.com")
        return await verified_user(client, self.mail)

    async def rows(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record] | None:
        """The rows of one query on ``service``'s database as its owner; None while the
        database cannot be reached (it may be restarting)."""
        try:
            connection = await asyncpg.connect(self.owner_url(service), timeout=5)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return None
        try:
            return list(await connection.fetch(sql, *args, timeout=30))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return None
        finally:
            with contextlib.suppress(Exception):
                await connection.close()


def _free_slot() -> Ports:
    for i in range(SLOTS):
        ports = Ports.slot(i)
        if not any(infra._port_open("127.0.0.1", p) for p in [*ports.all(), ports.postgres]):
            return ports
    raise RuntimeError(
        f"all {SLOTS} slots of cluster ports (5781-5796, 25781-25798, 55781-55783) are in use: "
        "other cluster runs, or earlier ones that are still up"
    )


async def _start_replicas(
    replicas: dict[str, dict[str, ServiceProcess]], name: str, timeout: float
) -> None:
    started = [replicas[process][name] for process in PROCESSES]
    for replica in started:
        replica.start()
    await asyncio.gather(*(r.wait_ready(timeout) for r in started))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def cluster() -> AsyncIterator[Cluster]:
    run_id = uuid.uuid4().hex[:8]
    fixed = _free_slot()
    base = Path(tempfile.mkdtemp(prefix=f"kasa-cluster-{run_id}-"))
    # The PostgreSQL server's own user must be able to reach its directory inside.
    os.chmod(base, 0o711)
    data_dir = ROOT / ".data" / f"cluster-{run_id}"
    log_dir = data_dir / "logs"
    teardown = contextlib.AsyncExitStack()
    started = time.monotonic()

    def phase(what: str) -> None:
        print(f"[cluster {time.monotonic() - started:5.1f}s] {what}", flush=True)

    try:
        rabbit = RabbitCluster(
            base / "rabbit",
            amqp_ports=fixed.amqp,
            dist_ports=fixed.dist,
            cli_ports=fixed.cli,
            epmd_port=fixed.epmd,
        )
        teardown.callback(_keep_logs, rabbit, log_dir)
        teardown.push_async_callback(asyncio.to_thread, rabbit.stop)
        postgres = PrivatePostgres(base / "postgres", fixed.postgres)
        teardown.push_async_callback(asyncio.to_thread, postgres.remove)
        await asyncio.gather(
            asyncio.to_thread(rabbit.start),
            asyncio.to_thread(lambda: (postgres.init(), postgres.start())),
        )

        phase(f"broker nodes {', '.join(n.name for n in rabbit.nodes)} and PostgreSQL up")
        broker = Balancer([("127.0.0.1", node.amqp_port) for node in rabbit.nodes])
        await broker.start()
        teardown.push_async_callback(broker.cut)

        databases = await infra.create_service_databases(
            postgres.admin_url, {s: f"kasa_{s}" for s in SERVICES}, role_prefix="kasa"
        )
        mail = MailSink(free_port()).start()
        teardown.callback(mail.stop)

        # Each process's address is its balancer's: the other services know no replica.
        ports = {process: free_port() for process in PROCESSES}
        config = StackConfig(
            amqp_url=f"amqp://guest:guest@127.0.0.1:{broker.port}/",
            smtp_port=mail.port,
            database_urls={s: db.runtime_url for s, db in databases.items()},
            migration_database_urls={s: db.migration_url for s, db in databases.items()},
            data_dir=data_dir,
            ports=ports,
            broker_user_prefix="kasa-",
            env="test",
            extra_env={
                "OUTBOX_POLL_SECONDS": "0.2",
                "MAIL_RETRY_SECONDS": "0.5",
                "REMINDER_INTERVAL_SECONDS": "0",
                # A killed sync worker's run is taken over within seconds, not the default 15.
                "SYNC_LEASE_SECONDS": "5",
                "LOG_FORMAT": "json",
            },
            service_env_overrides={
                "gateway": {
                    # One test address signs up, polls and signs in all along; the throttle
                    # under test is the database's, not these per-process limits.
                    "API_RATE_PER_MINUTE": "1000000",
                    "LOGIN_RATE_PER_ADDRESS_PER_MINUTE": "100000",
                    "LOGIN_RATE_PER_ACCOUNT_ADDRESS_PER_MINUTE": "100000",
                    "REGISTER_RATE_PER_ADDRESS_PER_MINUTE": "100000",
                    "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR": "100000",
                },
            },
        )
        stack = Stack(config, log_dir=log_dir)
        replicas = {
            process: {name: stack.replica(process, name, free_port()) for name in REPLICAS}
            for process in PROCESSES
        }
        balancers = {
            process: Balancer([("127.0.0.1", r.port) for r in replicas[process].values()], port)
            for process, port in ports.items()
        }
        for balancer in balancers.values():
            await balancer.start()
            teardown.push_async_callback(balancer.cut)
        # What the gateway's operator API reaches: each service's ops listeners, balanced.
        for service in SERVICES:
            ops = Balancer([("127.0.0.1", r.ops_port or 0) for r in replicas[service].values()])
            await ops.start()
            teardown.push_async_callback(ops.cut)
            config.ops_ports[service] = ops.port

        def secure() -> None:
            with rabbit.as_local_broker():
                config.secure()

        await asyncio.to_thread(secure)
        phase("databases, roles and broker users made")
        # Off the event loop: the balancers on it must carry the services' goodbyes to the
        # broker while they stop.
        every = [r for pair in replicas.values() for r in pair.values()]
        teardown.push_async_callback(asyncio.to_thread, _stop_all, every)
        # The first replica of each migrates its database, as a rollout's migration job does,
        # before the second one starts.
        for name in REPLICAS:
            await _start_replicas(replicas, name, READY_TIMEOUT_S)
            phase(f"replicas {name} of {', '.join(PROCESSES)} ready")

        yield Cluster(
            rabbit=rabbit,
            broker=broker,
            postgres=postgres,
            databases=databases,
            config=config,
            replicas=replicas,
            balancers=balancers,
            mail=mail,
            log_dir=log_dir,
            stack=stack,
        )
    finally:
        stopping = time.monotonic()
        await teardown.aclose()
        shutil.rmtree(base, ignore_errors=True)
        print(f"[cluster] stopped in {time.monotonic() - stopping:.1f}s", flush=True)


def _stop_all(processes: list[ServiceProcess]) -> None:
    """SIGTERM to all at once, then wait for each (SIGKILL when one takes too long)."""
    for process in processes:
        if process.process is not None and process.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.process.pid, signal.SIGTERM)
    for process in processes:
        process.stop()


def _keep_logs(rabbit: RabbitCluster, log_dir: Path) -> None:
    """The broker nodes' logs beside the services', for a failed run's reader."""
    for node in rabbit.nodes:
        source = node.base / "log"
        if source.is_dir():
            shutil.copytree(source, log_dir / node.name.split("@")[0], dirs_exist_ok=True)
