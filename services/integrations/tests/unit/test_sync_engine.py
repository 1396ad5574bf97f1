import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import ClassVar
from uuid import uuid4

import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy import update

from kasa_contracts import Actor
from kasa_contracts.events.integrations import (
    SyncCancelled,
    SyncCompleted,
    SyncFailed,
    SyncProgressed,
    SyncRequested,
    SyncStarted,
    TransactionImported,
    TransactionUpdated,
)
from kasa_integrations import sync_engine
from kasa_integrations.db.tables import PluginState, Sync, metadata
from kasa_integrations.plugins import PLUGINS
from kasa_integrations.plugins.base import BankTransaction, Plugin, SyncContext, SyncError
from kasa_integrations.plugins.demo import demo_transaction
from kasa_integrations.sync_engine import (
    SyncRun,
    cancel_sync,
    fail_interrupted_syncs,
    request_sync,
)
from kasa_servicekit.db import utcnow
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.testing import outbox_events, sqlite_database

DEMO = PLUGINS["demo"]


@pytest.fixture
async def db(tmp_path):
    async with sqlite_database(tmp_path, metadata) as database:
        yield database


async def run_sync(db, workspace, count):  # the demo bank
    sync = await request_sync(db, DEMO, workspace, "user-1", {"count": count})
    await SyncRun(db, DEMO, sync).run()
    async with db.sessions() as session:
        return await session.get(Sync, sync.id)


def test_the_demo_bank_is_deterministic_and_valid():
    assert demo_transaction(7) == demo_transaction(7)
    assert demo_transaction(5).direction == "income"
    assert demo_transaction(5).variable_symbol == "20260002", "the first incomes pay invoices"
    assert demo_transaction(5).amount == Decimal("36300.00")
    assert demo_transaction(50).variable_symbol == "2026000050"
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


async def test_the_users_request_is_published_and_causes_all_the_run_publishes(db):
    workspace = uuid4()
    eva = Actor(type="user", id="user-1", name="Eva")
    sync = await request_sync(db, DEMO, workspace, "user-1", {"count": 12}, requester=eva)
    [requested] = await outbox_events(db, SyncRequested.routing_key())
    assert requested.actor == eva
    assert requested.payload.sync_id == sync.id and requested.payload.plugin_version == "1.0.0"
    assert requested.correlation_id == str(sync.id)
    await SyncRun(db, DEMO, sync).run()
    run_events = (await outbox_events(db))[1:]
    assert {e.event_type for e in run_events} >= {
        SyncStarted.event_type,
        TransactionImported.event_type,
        SyncCompleted.event_type,
    }
    assert {e.causation_id for e in run_events} == {requested.event_id}
    assert {e.correlation_id for e in run_events} == {str(sync.id)}
    assert {e.actor.type for e in run_events} == {"plugin"}


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


class Changing(Plugin):
    """A bank whose movement 3 changes its message between runs; it counts its runs in state."""

    name = "changing"
    version = "1.0.0"
    display_name = "Changing bank"
    description = "test"
    runs: ClassVar[int] = 0

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        run = int(ctx.state.get("runs", 0)) + 1
        for i in range(5):
            base = demo_transaction(i)
            if i == 3 and run > 1:
                base = base.model_copy(update={"message": "corrected by the bank"})
            yield base
        ctx.state["runs"] = run


async def run_plugin_sync(db, plugin, workspace, params=None):
    sync = await request_sync(db, plugin, workspace, "user-1", params or {})
    await SyncRun(db, plugin, sync).run()
    async with db.sessions() as session:
        return await session.get(Sync, sync.id)


async def test_a_changed_transaction_is_published_as_an_update_with_its_changes(db):
    workspace = uuid4()
    first = await run_plugin_sync(db, Changing(), workspace)
    assert (first.records_created, first.records_updated) == (5, 0)
    second = await run_plugin_sync(db, Changing(), workspace)
    assert (second.records_created, second.records_updated, second.records_skipped) == (0, 1, 4)
    [updated] = await outbox_events(db, TransactionUpdated.routing_key())
    assert updated.payload.external_id == "demo-0000003"
    assert updated.payload.message == "corrected by the bank"
    assert set(updated.payload.changes) == {"message"}
    assert updated.payload.changes["message"].after == "corrected by the bank"
    third = await run_plugin_sync(db, Changing(), workspace)
    assert (third.records_updated, third.records_skipped) == (0, 5), "an update is told once"
    async with db.sessions() as session:
        state = await session.get(PluginState, (workspace, "changing"))
    assert state.state == {"runs": 3}, "the cursor persists between runs"


class Slow(Plugin):
    """Yields a transaction every 0.1 s until it has yielded ``count``."""

    name = "slow"
    version = "1.0.0"
    display_name = "Slow bank"
    description = "test"

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        for i in range(int(ctx.params.get("count", 30))):
            await asyncio.sleep(0.1)
            ctx.state["last"] = i
            yield demo_transaction(i)


async def test_a_long_sync_publishes_progress_every_second(db, monkeypatch):
    monkeypatch.setattr(sync_engine, "BATCH_SIZE", 5)
    sync = await run_plugin_sync(db, Slow(), uuid4(), {"count": 30})
    assert sync.status == "completed"
    progressed = await outbox_events(db, SyncProgressed.routing_key())
    assert len(progressed) >= 2, "a 3 s sync reports at least twice"
    gaps = [
        (b.occurred_at - a.occurred_at).total_seconds() for a, b in itertools.pairwise(progressed)
    ]
    assert max(gaps) < 1.5
    assert progressed[-1].payload.records_processed > progressed[0].payload.records_processed


async def test_cancelling_a_running_sync_keeps_what_it_committed(db, monkeypatch):
    monkeypatch.setattr(sync_engine, "BATCH_SIZE", 3)
    workspace = uuid4()
    sync = await request_sync(db, Slow(), workspace, "user-1", {"count": 100})
    task = asyncio.ensure_future(SyncRun(db, Slow(), sync).run())
    await asyncio.sleep(0.8)
    eva = Actor(type="user", id="user-1", name="Eva")
    answer = await cancel_sync(db, workspace, sync.id, eva)
    await asyncio.wait_for(task, 5)
    assert answer.status == "cancelled"
    async with db.sessions() as session:
        row = await session.get(Sync, sync.id)
    assert row.status == "cancelled" and row.completed_at is not None
    assert 0 < row.records_created < 100
    assert len(await outbox_events(db, TransactionImported.routing_key())) == row.records_created
    [cancelled] = await outbox_events(db, SyncCancelled.routing_key())
    assert cancelled.payload.records_created == row.records_created
    assert (cancelled.actor.type, cancelled.actor.id) == ("user", "user-1"), "who cancelled it"
    assert await cancel_sync(db, uuid4(), sync.id) is None, "another workspace cannot see it"
    with pytest.raises(ProblemError) as finished:
        await cancel_sync(db, workspace, sync.id)
    assert finished.value.status == 409


async def test_a_pending_sync_is_cancelled_at_once(db):
    workspace = uuid4()
    sync = await request_sync(db, DEMO, workspace, "user-1", {})
    eva = Actor(type="user", id="user-1", name="Eva")
    assert (await cancel_sync(db, workspace, sync.id, eva)).status == "cancelled"
    [cancelled] = await outbox_events(db, SyncCancelled.routing_key())
    assert cancelled.actor == eva
    await SyncRun(db, DEMO, sync).run()  # a runner that starts late does nothing
    assert await outbox_events(db, TransactionImported.routing_key()) == []


class Secrets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str


class Leaky(Plugin):
    """Fails with its credential in the message, the traceback and the metadata."""

    name = "leaky"
    version = "1.0.0"
    display_name = "Leaky bank"
    description = "test"
    Credentials = Secrets

    async def sync(self, ctx: SyncContext) -> AsyncIterator[BankTransaction]:
        ctx.metadata["url"] = f"https://bank.example/{ctx.credentials.token}/x"
        yield demo_transaction(1)
        raise SyncError(f"bank refused https://bank.example/{ctx.credentials.token}/x")


async def test_a_failure_records_the_reason_and_backtrace_without_secrets(db, tmp_path):
    from cryptography.fernet import Fernet

    from kasa_integrations.configuration import save_config
    from kasa_integrations.credentials import CredentialVault
    from kasa_servicekit.auth import Principal

    vault = CredentialVault([Fernet.generate_key().decode()])
    workspace = uuid4()
    principal = Principal(user_id=uuid4(), workspace_id=workspace, role="owner")
    secret = "canary-secret-4711-canary"
    await save_config(
        db, vault, Leaky(), principal, enabled=True, settings={}, credentials={"token": secret}
    )
    sync = await request_sync(db, Leaky(), workspace, "user-1", {})
    await SyncRun(db, Leaky(), sync, vault).run()
    async with db.sessions() as session:
        row = await session.get(Sync, sync.id)
    assert row.status == "failed"
    assert row.error_message.startswith("bank refused https://bank.example/[REDACTED]/x")
    assert "SyncError" in row.error_backtrace and secret not in row.error_backtrace
    assert secret not in str(row.details) and row.details["url"].count("[REDACTED]") == 1
    assert row.records_created == 1, "what was committed before the failure stays"
    for event in await outbox_events(db):
        assert secret not in event.model_dump_json()
    assert secret.encode() not in (tmp_path / "service.db").read_bytes()


async def test_after_a_crash_the_next_sync_brings_everything_once(db, monkeypatch):
    monkeypatch.setattr(sync_engine, "BATCH_SIZE", 4)
    workspace = uuid4()
    sync = await request_sync(db, Slow(), workspace, "user-1", {"count": 20})
    crashed = asyncio.ensure_future(SyncRun(db, Slow(), sync).run())
    await asyncio.sleep(1.0)
    crashed.cancel()  # the process dies: no final status is written
    await asyncio.gather(crashed, return_exceptions=True)
    async with db.sessions() as session:
        at_crash = (await session.get(Sync, sync.id)).records_created
    await asyncio.sleep(0.5)
    async with db.transaction() as session:
        row = await session.get(Sync, sync.id)
        assert row.status == "running" and 0 < row.records_created < 20
        assert row.records_created == at_crash, "nothing of the dead run goes on working"
        row.heartbeat_at = utcnow() - sync_engine.STALE_AFTER - timedelta(seconds=1)
    assert await fail_interrupted_syncs(db) == 1  # what a restarted service does first
    again = await run_plugin_sync(db, Slow(), workspace, {"count": 20})
    assert again.status == "completed"
    imported = await outbox_events(db, TransactionImported.routing_key())
    assert sorted(e.payload.external_id for e in imported) == [
        f"demo-{i:07d}" for i in range(20)
    ], "nothing lost, nothing twice"
