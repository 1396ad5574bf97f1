"""The sync's dedupe lookup on real PostgreSQL: right answers, and one index probe per id while a
first sync is still filling the table (its statistics say the workspace is empty)."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

import kasa_integrations
from kasa_integrations.db.imports import _KNOWN_ON_POSTGRES, _KNOWN_PARAMETERS, Imports
from kasa_servicekit.migrations import upgrade

MIGRATIONS = Path(kasa_integrations.__file__).parent / "db" / "migrations"

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
async def sessions(fresh_database):
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    engine = create_async_engine(fresh_database)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_known_finds_this_workspaces_records_of_this_plugin_only(sessions):
    workspace, other = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        imports = Imports(session)
        records = [(f"tx-{i}", f"print-{i}", {"amount": str(i)}) for i in range(1500)]
        await imports.add(workspace, "demo", uuid.uuid4(), records, now)
        await imports.add(other, "demo", uuid.uuid4(), [("tx-1500", "theirs", {})], now)
        await imports.add(workspace, "fio", uuid.uuid4(), [("tx-1501", "fio", {})], now)

    async with sessions() as session:
        asked = [f"tx-{i}" for i in range(1000, 1600)] + ["tx-1000"]
        known = await Imports(session).known(workspace, "demo", asked)

    assert sorted(known) == sorted(f"tx-{i}" for i in range(1000, 1500))
    assert known["tx-1234"].fingerprint == "print-1234"
    assert known["tx-1234"].content == {"amount": "1234"}


async def test_known_probes_the_unique_index_whatever_the_statistics_say(sessions):
    workspace = uuid.uuid4()
    async with sessions.begin() as session:
        # Statistics taken while the table is empty, as a new workspace's first sync meets them.
        await session.execute(text("ANALYZE imported_records"))
        await Imports(session).add(
            workspace,
            "demo",
            uuid.uuid4(),
            [(f"tx-{i}", "p", {}) for i in range(5000)],
            datetime.now(UTC),
        )
    async with sessions() as session:
        # A prepared statement's generic plan is what a long-running worker keeps using.
        await session.execute(text("SET plan_cache_mode = force_generic_plan"))
        explain = text(f"EXPLAIN (ANALYZE, FORMAT JSON) {_KNOWN_ON_POSTGRES}")
        plan = await session.execute(
            explain.bindparams(*_KNOWN_PARAMETERS),
            {
                "external_ids": [f"tx-{i}" for i in range(500)],
                "workspace_id": workspace,
                "plugin": "demo",
            },
        )
        tree = str(plan.scalar_one())

    assert "uq_imported_records_workspace_id_plugin_external_id" in tree
    assert "'Rows Removed by Filter': 0" in tree or "Rows Removed by Filter" not in tree
    assert "'Actual Rows': 500" in tree
