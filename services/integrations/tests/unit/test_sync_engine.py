from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import update

from kasa_contracts.events.integrations import SyncCompleted, SyncFailed, TransactionImported
from kasa_integrations.db.tables import Sync, metadata
from kasa_integrations.plugins import PLUGINS
from kasa_integrations.plugins.demo import demo_transaction
from kasa_integrations.sync_engine import SyncRun, fail_interrupted_syncs, request_sync
from kasa_servicekit.db import utcnow
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.testing import outbox_events, sqlite_database

DEMO = PLUGINS["demo"]


@pytest.fixture
async def db(tmp_path):
    async with sqlite_database(tmp_path, metadata) as database:
        yield database


async def run_sync(db, workspace, count):
    sync = await request_sync(db, DEMO, workspace, "user-1", {"count": count})
    await SyncRun(db, DEMO, sync).run()
    async with db.sessions() as session:
        return await session.get(Sync, sync.id)


def test_the_demo_bank_is_deterministic_and_valid():
    assert demo_transaction(7) == demo_transaction(7)
    assert demo_transaction(5).direction == "income"
    assert demo_transaction(5).variable_symbol == "2026000005"
    assert demo_transaction(3).amount > 0


async def test_a_sync_publishes_one_event_per_new_transaction(db):
    workspace = uuid4()
    sync = await run_sync(db, workspace, 1200)
    assert sync.status == "completed"
    assert (sync.records_processed, sync.records_created, sync.records_skipped) == (1200, 1200, 0)
    imported = await outbox_events(db, TransactionImported.routing_key())
    assert len(imported) == 1200
    assert {e.correlation_id for e in imported} == {str(sync.id)}
    assert imported[0].actor.type == "plugin"
    [completed] = await outbox_events(db, SyncCompleted.routing_key())
    assert completed.payload.records_created == 1200


async def test_rerunning_the_same_window_publishes_nothing_new(db):
    workspace = uuid4()
    await run_sync(db, workspace, 300)
    again = await run_sync(db, workspace, 350)
    assert (again.records_created, again.records_skipped) == (50, 300)
    assert len(await outbox_events(db, TransactionImported.routing_key())) == 350


async def test_one_active_sync_per_workspace_and_plugin(db):
    workspace = uuid4()
    await request_sync(db, DEMO, workspace, "user-1", {})
    with pytest.raises(ProblemError) as conflict:
        await request_sync(db, DEMO, workspace, "user-1", {})
    assert conflict.value.status == 409
    await request_sync(db, DEMO, uuid4(), "user-1", {})  # another workspace is not blocked


async def test_a_sync_cut_off_by_a_crash_is_failed_and_announced(db):
    workspace = uuid4()
    sync = await request_sync(db, DEMO, workspace, "user-1", {})
    assert await fail_interrupted_syncs(db) == 0, "a live sync is left alone"
    async with db.transaction() as session:
        await session.execute(
            update(Sync)
            .where(Sync.id == sync.id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    assert await fail_interrupted_syncs(db) == 1
    [failed] = await outbox_events(db, SyncFailed.routing_key())
    assert failed.payload.sync_id == sync.id
    assert "interrupted" in failed.payload.error_message
    await request_sync(db, DEMO, workspace, "user-1", {})  # the next sync may start
