"""Real infrastructure for the integration and e2e tiers: RabbitMQ and PostgreSQL.

Each test run gets a fresh RabbitMQ virtual host (on a local broker) and fresh databases,
so runs never see each other's messages or rows.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from kasa_localstack import infra

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
