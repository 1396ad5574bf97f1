"""Test helpers for services: a real SQLite database with the service's tables."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from kasa_contracts import Envelope, parse_envelope
from kasa_servicekit.db import Database
from kasa_servicekit.tables import kit_metadata, outbox


@asynccontextmanager
async def sqlite_database(directory: Path, metadata: MetaData) -> AsyncIterator[Database]:
    """A fresh SQLite database holding ``metadata`` plus the outbox and inbox."""
    database = Database(f"sqlite+aiosqlite:///{directory}/service.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(kit_metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def outbox_events(db: Database, routing_key: str | None = None) -> list[Envelope[Any]]:
    """The events a service has written to its outbox, oldest first."""
    stmt = select(outbox.c.body, outbox.c.routing_key).order_by(outbox.c.id)
    async with db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [parse_envelope(r.body) for r in rows if routing_key in (None, r.routing_key)]
