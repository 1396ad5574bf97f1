"""Real infrastructure for the integration, e2e and browser tiers: RabbitMQ and PostgreSQL,
and the whole system as real processes on them, driven through the gateway.

Each test run gets a fresh RabbitMQ virtual host (on a local broker) and fresh databases,
so runs never see each other's messages or rows. The e2e and browser tiers share one stack.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from kasa_localstack import infra
from kasa_localstack.mail_sink import MailSink
from kasa_localstack.stack import PROCESSES, SERVICES, Stack, StackConfig
from kasa_localstack.testing import KasaClient, TcpProxy, free_port, run_kasa
from kasa_localstack.testing import verified as verified_user

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Infra:
    amqp_url: str
    pg_admin_url: str
    run_id: str


@pytest.fixture(scope="session")
def real_infra() -> Iterator[Infra]:
    amqp = infra.ensure_rabbitmq(os.environ.get("AMQP_URL", infra.DEFAULT_AMQP_URL))
    pg = infra.ensure_postgres(os.environ.get("PG_ADMIN_URL", infra.DEFAULT_PG_ADMIN_URL))
    run_id = uuid.uuid4().hex[:8]
    vhost_url = infra.fresh_vhost(amqp, f"kasa-test-{run_id}")
    yield Infra(amqp_url=vhost_url, pg_admin_url=pg, run_id=run_id)
    if vhost_url != amqp:
        infra.delete_vhost(urlsplit(vhost_url).path.lstrip("/"))


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database(real_infra: Infra) -> AsyncIterator[str]:
    """An empty PostgreSQL database for one test, as an asyncpg SQLAlchemy URL."""
    name = f"kasa_it_{real_infra.run_id}_{uuid.uuid4().hex[:6]}"
    await infra.create_databases(real_infra.pg_admin_url, [name])
    yield infra.database_url(real_infra.pg_admin_url, name)
    await infra.drop_databases(real_infra.pg_admin_url, [name])


class E2E:
    def __init__(
        self,
        stack: Stack,
        proxy: TcpProxy,
        amqp_url: str,
        databases: dict[str, infra.ServiceDatabase],
        mail: MailSink,
    ):
        self.stack = stack
        self.proxy = proxy
        self.mail = mail
        """The SMTP server on loopback every service delivers its mail to."""
        self.amqp_url = amqp_url
        self.databases = databases
        """Each service's database and roles; the services run as ``runtime_url``."""
        # Tests inspect and rig the databases as their owners (e.g. add a trigger).
        self.database_urls = {s: db.migration_url for s, db in databases.items()}

    @property
    def gateway(self) -> str:
        return self.stack.config.url("gateway")

    def url(self, service: str) -> str:
        return self.stack.config.url(service)

    def ops_url(self, service: str) -> str:
        """The service's internal ops listener: /metrics, /ops/* and /internal/*."""
        return self.stack.config.ops_url(service)

    @property
    def ops_token(self) -> str:
        """The operator token every service's ops listener wants."""
        assert self.stack.config.ops_token
        return self.stack.config.ops_token

    def broker_url(self, service: str) -> str:
        """The AMQP URL of ``service``'s own broker user (``ops``: the replay user's)."""
        return self.stack.config.broker_url(service)

    def broker_user(self, service: str) -> str | None:
        """The broker user ``service`` publishes as; set it as a message's ``user_id``."""
        return urlsplit(self.broker_url(service)).username

    async def kasa(self, *args: str) -> Any:
        """Run ``kasa … --json`` against this stack as its operator; its parsed report."""
        urls = {f"KASA_{service.upper()}_OPS_URL": self.ops_url(service) for service in SERVICES}
        env = {"AMQP_URL": self.broker_url("ops"), "OPS_TOKEN": self.ops_token, **urls}
        code, report = await run_kasa(env, *args)
        assert code == 0, report
        return report

    async def user(self, *, verified: bool = True) -> KasaClient:
        """A new account; ``verified``: its address proven through the link mailed to it."""
        client = KasaClient(self.gateway)
        await client.register_and_login(f"user-{uuid.uuid4().hex[:10]}@example.com")
        return await verified_user(client, self.mail) if verified else client


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def system(real_infra) -> AsyncIterator[E2E]:
    names = {name: f"kasa_e2e_{real_infra.run_id}_{name}" for name in SERVICES}
    # Each service runs as its own role and migrates as its database's owner, as in production.
    databases = await infra.create_service_databases(
        real_infra.pg_admin_url, names, role_prefix=f"kasa_e2e_{real_infra.run_id}"
    )

    # Integrations reaches the broker through a proxy the tests can cut.
    broker = urlsplit(real_infra.amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    credentials = f"{broker.username}:{broker.password}@" if broker.username else ""
    proxied = urlunsplit(broker._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}"))

    data_dir = ROOT / ".data" / f"e2e-{real_infra.run_id}"
    mail = MailSink(free_port()).start()
    config = StackConfig(
        amqp_url=real_infra.amqp_url,
        smtp_port=mail.port,
        database_urls={s: db.runtime_url for s, db in databases.items()},
        migration_database_urls={s: db.migration_url for s, db in databases.items()},
        data_dir=data_dir,
        ports={name: free_port() for name in PROCESSES},
        # Broker users of this run's own, so parallel runs never change each other's passwords.
        broker_user_prefix=f"kasa-e2e-{real_infra.run_id}-",
        env="test",
        extra_env={
            "CONSUMER_MAX_ATTEMPTS": "3",
            "CONSUMER_RETRY_DELAY_MS": "200",
            "OUTBOX_POLL_SECONDS": "0.2",
            "MAIL_RETRY_SECONDS": "0.5",
            # Reminder passes run when a test asks for one, as of the day it names.
            "REMINDER_INTERVAL_SECONDS": "0",
            "LOG_FORMAT": "json",
        },
        service_env_overrides={
            "integrations": {"AMQP_URL": proxied},
            # Every test signs up and polls from one address; the per-address and per-user
            # limits are exercised by the gateway's own tests, not tripped by the others.
            "gateway": {
                "API_RATE_PER_MINUTE": "1000000",
                "LOGIN_RATE_PER_ADDRESS_PER_MINUTE": "100000",
                "REGISTER_RATE_PER_ADDRESS_PER_MINUTE": "100000",
                "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR": "100000",
            },
        },
    )
    stack = Stack(config, log_dir=data_dir / "logs")
    try:
        await stack.start()
        yield E2E(stack, proxy, real_infra.amqp_url, databases, mail)
    finally:
        stack.stop()
        mail.stop()
        await proxy.cut()
        await infra.drop_service_databases(real_infra.pg_admin_url, databases.values())
        infra.delete_broker_users(
            urlsplit(url).username or "" for url in config.broker_urls.values()
        )
