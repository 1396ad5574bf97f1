from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from kasa_servicekit.db import Database
from kasa_servicekit.tables import kit_metadata


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite database with the outbox and inbox tables."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    yield database
    await database.dispose()
