"""Alembic migrations per service, run before the service starts or by ``<service> migrate``."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from kasa_servicekit.db import _prepare_sqlite
from kasa_servicekit.tables import kit_metadata


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite"):
        _prepare_sqlite(database_url)
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(service_metadata: MetaData, *extra: MetaData) -> None:
    """The body of every service's ``migrations/env.py``: its tables plus outbox and inbox.

    ``extra`` adds opt-in kit tables, e.g. ``idempotency_metadata``.
    """
    target = [service_metadata, kit_metadata, *extra]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())
