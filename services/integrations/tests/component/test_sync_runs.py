"""Syncs on a real SQLite database: requests, workers' claims and runs, dedupe, cancel, and
recovery when a worker dies."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import ClassVar
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict
from sqlalchemy import update

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
from kasa_integrations.api.errors import problem_for
from kasa_integrations.app import sync_run
from kasa_integrations.app.plugin_configuration import save_config
from kasa_integrations.app.sync_recovery import sweep
from kasa_integrations.app.sync_requests import cancel_sync, request_sync
from kasa_integrations.app.sync_run import SyncWorker
from kasa_integrations.db.tables import PluginState, Sync, metadata
from kasa_integrations.db.unit_of_work import transactions
from kasa_integrations.domain.errors import SyncAlreadyRunning, SyncFinished, SyncNotFound
from kasa_integrations.plugins import registry
from kasa_integrations.plugins.base import BankTransaction, Plugin, SyncContext, SyncError
from kasa_integrations.plugins.demo import demo_transaction
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.testing import outbox_events, sqlite_database

DEMO = registry()["demo"]
EVENTS = EventWriter("integrations")


@pytest.fixture
async def db(tmp_path):
    async with sqlite_database(tmp_path, metadata) as database:
        yield database


def user(workspace, name: str | None = "Eva") -> Principal:
    return Principal(user_id=uuid4(), workspace_id=workspace, role="owner", name=name)


def make_worker(db, tasks: set, **options) -> SyncWorker:
    plugins = {p.name: p for p in [*registry().values(), Changing(), Slow(), Leaky()]}
    worker = SyncWorker(plugins, CredentialVault([Fernet.generate_key().decode()]), **options)

    def spawn(coro, name):
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        return task

    worker.attach(transactions(db), EVENTS, spawn)
    return worker


@pytest.fixture
async def started():
    """The runs workers started in tasks of their own (as a runtime would)."""
    tasks: set[asyncio.Task] = set()
    yield tasks
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def worker(db, started) -> SyncWorker:
    return make_worker(db, started)


async def request(db, plugin, workspace, params=None, requester=None) -> Sync:
    async with transactions(db)() as uow:
        return await request_sync(uow, EVENTS, plugin, requester or user(workspace), params or {})


async def claim(worker, sync) -> Sync | None:
    async with worker.begin() as uow:
        return await worker.claim(uow, sync.id, EVENTS)


async def run(worker, sync) -> Sync:
    """Claim a requested sync and run it to its end, as a worker consuming its request."""
    claimed = await claim(worker, sync)
    if claimed is not None:
        await worker.run(claimed)
    return await reload(worker, sync)


async def reload(worker, sync) -> Sync:
    async with worker.begin() as uow:
        return await uow.syncs.get(sync.id)


async def run_sync(db, worker, workspace, count):  # the demo bank
    return await run(worker, await request(db, DEMO, workspace, {"count": count}))


async def run_plugin_sync(db, worker, plugin, workspace, params=None):
    return await run(worker, await request(db, plugin, workspace, params))


async def test_a_sync_publishes_one_event_per_new_transaction(db, worker):
    workspace = uuid4()
    sync = await run_sync(db, worker, workspace, 1200)
    assert sync.status == "completed"
    assert (sync.records_processed, sync.records_created, sync.records_skipped) == (1200, 1200, 0)
    imported = await outbox_events(db, TransactionImported.routing_key())
    assert len(imported) == 1200
    assert {e.correlation_id for e in imported} == {str(sync.id)}
    assert imported[0].actor.type == "plugin"
    [completed] = await outbox_events(db, SyncCompleted.routing_key())
    assert completed.payload.records_created == 1200


async def test_the_users_request_is_published_and_causes_all_the_run_publishes(db, worker):
    workspace = uuid4()
    eva = user(workspace)
    sync = await request(db, DEMO, workspace, {"count": 12}, requester=eva)
    [requested] = await outbox_events(db, SyncRequested.routing_key())
    assert requested.actor == eva.actor
    assert requested.payload.sync_id == sync.id and requested.payload.plugin_version == "1.0.0"
    assert requested.correlation_id == str(sync.id)
    await run(worker, sync)
    run_events = (await outbox_events(db))[1:]
    assert {e.event_type for e in run_events} >= {
        SyncStarted.event_type,
        TransactionImported.event_type,
        SyncCompleted.event_type,
    }
    assert {e.causation_id for e in run_events} == {requested.event_id}
    assert {e.correlation_id for e in run_events} == {str(sync.id)}
    assert {e.actor.type for e in run_events} == {"plugin"}


async def test_rerunning_the_same_window_publishes_nothing_new(db, worker):
    workspace = uuid4()
    await run_sync(db, worker, workspace, 300)
    again = await run_sync(db, worker, workspace, 350)
    assert (again.records_created, again.records_skipped) == (50, 300)
    assert len(await outbox_events(db, TransactionImported.routing_key())) == 350


async def test_one_active_sync_per_workspace_and_plugin(db):
    workspace = uuid4()
    await request(db, DEMO, workspace)
    with pytest.raises(SyncAlreadyRunning) as conflict:
        await request(db, DEMO, workspace)
    assert problem_for(conflict.value).status == 409
    await request(db, DEMO, uuid4())  # another workspace is not blocked


async def test_a_sync_cut_off_by_a_crash_is_failed_and_announced(db, worker):
    workspace = uuid4()
    sync = await request(db, DEMO, workspace)
    assert await claim(worker, sync) is not None
    assert await sweep(worker) == 0, "a live sync is left alone"
    async with db.transaction() as session:
        await session.execute(
            update(Sync)
            .where(Sync.id == sync.id)
            .values(lease_until=utcnow() - timedelta(minutes=5), attempts=worker.max_attempts)
        )
    assert await sweep(worker) == 1
    [failed] = await outbox_events(db, SyncFailed.routing_key())
    assert failed.payload.sync_id == sync.id
    assert "interrupted" in failed.payload.error_message
    assert (await reload(worker, sync)).status == "failed"
    await request(db, DEMO, workspace)  # the next sync may start


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


async def test_a_changed_transaction_is_published_as_an_update_with_its_changes(db, worker):
    workspace = uuid4()
    first = await run_plugin_sync(db, worker, Changing(), workspace)
    assert (first.records_created, first.records_updated) == (5, 0)
    second = await run_plugin_sync(db, worker, Changing(), workspace)
    assert (second.records_created, second.records_updated, second.records_skipped) == (0, 1, 4)
    [updated] = await outbox_events(db, TransactionUpdated.routing_key())
    assert updated.payload.external_id == "demo-0000003"
    assert updated.payload.message == "corrected by the bank"
    assert set(updated.payload.changes) == {"message"}
    assert updated.payload.changes["message"].after == "corrected by the bank"
    third = await run_plugin_sync(db, worker, Changing(), workspace)
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


async def test_a_long_sync_publishes_progress_every_second(db, worker, monkeypatch):
    monkeypatch.setattr(sync_run, "BATCH_SIZE", 5)
    sync = await run_plugin_sync(db, worker, Slow(), uuid4(), {"count": 30})
    assert sync.status == "completed"
    progressed = await outbox_events(db, SyncProgressed.routing_key())
    assert len(progressed) >= 2, "a 3 s sync reports at least twice"
    gaps = [
        (b.occurred_at - a.occurred_at).total_seconds() for a, b in itertools.pairwise(progressed)
    ]
    assert max(gaps) < 1.5
    assert progressed[-1].payload.records_processed > progressed[0].payload.records_processed


async def test_cancelling_a_running_sync_keeps_what_it_committed(db, worker, monkeypatch):
    monkeypatch.setattr(sync_run, "BATCH_SIZE", 3)
    workspace = uuid4()
    sync = await request(db, Slow(), workspace, {"count": 100})
    task = asyncio.ensure_future(worker.run(await claim(worker, sync)))
    await asyncio.sleep(0.8)
    eva = user(workspace)
    answer = await cancel_sync(transactions(db), EVENTS, eva, sync.id)
    await asyncio.wait_for(task, 5)
    assert answer.status == "cancelled"
    async with db.sessions() as session:
        row = await session.get(Sync, sync.id)
    assert row.status == "cancelled" and row.completed_at is not None
    assert 0 < row.records_created < 100
    assert len(await outbox_events(db, TransactionImported.routing_key())) == row.records_created
    [cancelled] = await outbox_events(db, SyncCancelled.routing_key())
    assert cancelled.payload.records_created == row.records_created
    assert (cancelled.actor.type, cancelled.actor.id) == ("user", str(eva.user_id)), (
        "who cancelled it"
    )
    with pytest.raises(SyncNotFound):  # another workspace cannot see it
        await cancel_sync(transactions(db), EVENTS, user(uuid4()), sync.id)
    with pytest.raises(SyncFinished) as finished:
        await cancel_sync(transactions(db), EVENTS, eva, sync.id)
    assert problem_for(finished.value).status == 409


async def test_a_pending_sync_is_cancelled_at_once(db, worker):
    workspace = uuid4()
    sync = await request(db, DEMO, workspace)
    eva = user(workspace)
    assert (await cancel_sync(transactions(db), EVENTS, eva, sync.id)).status == "cancelled"
    [cancelled] = await outbox_events(db, SyncCancelled.routing_key())
    assert cancelled.actor == eva.actor
    assert await claim(worker, sync) is None, "a worker that comes late does nothing"
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


async def test_a_failure_records_the_reason_and_backtrace_without_secrets(db, worker, tmp_path):
    workspace = uuid4()
    principal = Principal(user_id=uuid4(), workspace_id=workspace, role="owner")
    secret = "canary-secret-4711-canary"
    async with transactions(db)() as uow:
        await save_config(
            uow,
            EVENTS,
            worker.vault,
            Leaky(),
            principal,
            enabled=True,
            settings={},
            credentials={"token": secret},
        )
    row = await run(worker, await request(db, Leaky(), workspace))
    assert row.status == "failed"
    assert row.error_message.startswith("bank refused https://bank.example/[REDACTED]/x")
    assert "SyncError" in row.error_backtrace and secret not in row.error_backtrace
    assert secret not in str(row.details) and row.details["url"].count("[REDACTED]") == 1
    assert row.records_created == 1, "what was committed before the failure stays"
    for event in await outbox_events(db):
        assert secret not in event.model_dump_json()
    assert secret.encode() not in (tmp_path / "service.db").read_bytes()


async def test_a_sync_whose_worker_died_is_resumed_by_another_and_brings_everything_once(
    db, worker, started, monkeypatch
):
    monkeypatch.setattr(sync_run, "BATCH_SIZE", 4)
    workspace = uuid4()
    sync = await request(db, Slow(), workspace, {"count": 20})
    crashed = asyncio.ensure_future(worker.run(await claim(worker, sync)))
    for _ in range(400):  # until its first batch is committed, 20 s at most
        async with db.sessions() as session:
            if (await session.get(Sync, sync.id, populate_existing=True)).records_created:
                break
        await asyncio.sleep(0.05)
    crashed.cancel()  # the process dies: no final status is written
    await asyncio.gather(crashed, return_exceptions=True)
    async with db.sessions() as session:
        at_crash = (await session.get(Sync, sync.id)).records_created
    await asyncio.sleep(0.5)
    async with db.transaction() as session:
        row = await session.get(Sync, sync.id)
        assert row.status == "running" and 0 < row.records_created < 20
        assert row.records_created == at_crash, "nothing of the dead run goes on working"
        row.lease_until = utcnow() - timedelta(seconds=1)
    other = make_worker(db, started)
    assert await sweep(other) == 1  # what every replica's sweep does
    await asyncio.wait_for(asyncio.gather(*started), 30)
    again = await reload(other, sync)
    assert again.status == "completed" and again.worker_id == other.worker_id
    assert again.attempts == 2 and again.details["attempts"] == 2
    imported = await outbox_events(db, TransactionImported.routing_key())
    assert sorted(e.payload.external_id for e in imported) == [
        f"demo-{i:07d}" for i in range(20)
    ], "nothing lost, nothing twice"
    assert again.records_created == 20
    assert len(await outbox_events(db, SyncStarted.routing_key())) == 1, "started once"


async def test_a_claimed_sync_is_never_claimed_again(db, worker, started):
    sync = await request(db, DEMO, uuid4(), {"count": 3})
    assert await claim(worker, sync) is not None
    other = make_worker(db, started)
    assert await claim(other, sync) is None, "the second worker finds nothing to take"
    async with other.begin() as uow:
        assert not await other.claim_and_start(uow, sync.id, EVENTS), "a redelivery does nothing"
    assert not started
    assert (await reload(worker, sync)).worker_id == worker.worker_id


async def test_a_worker_that_lost_its_lease_commits_nothing_more(db, worker, started, monkeypatch):
    monkeypatch.setattr(sync_run, "BATCH_SIZE", 5)
    workspace = uuid4()
    sync = await request(db, DEMO, workspace, {"count": 20})
    stale = await claim(worker, sync)
    async with db.transaction() as session:
        await session.execute(
            update(Sync).where(Sync.id == sync.id).values(lease_until=utcnow() - timedelta(1))
        )
    other = make_worker(db, started)
    assert await sweep(other) == 1
    await worker.run(stale)  # the first worker wakes up late: every write it tries is refused
    await asyncio.wait_for(asyncio.gather(*started), 30)
    done = await reload(other, sync)
    assert (done.status, done.worker_id, done.records_created) == ("completed", other.worker_id, 20)
    imported = await outbox_events(db, TransactionImported.routing_key())
    assert len(imported) == 20
    assert len(await outbox_events(db, SyncCompleted.routing_key())) == 1


async def test_a_queued_sync_nobody_claimed_is_run_by_the_sweep(db, worker, started):
    sync = await request(db, DEMO, uuid4(), {"count": 5})
    assert await sweep(worker) == 0, "a fresh request is left to the consumers"
    async with db.transaction() as session:
        await session.execute(
            update(Sync)
            .where(Sync.id == sync.id)
            .values(created_at=utcnow() - worker.pickup_after - timedelta(seconds=1))
        )
    assert await sweep(worker) == 1
    await asyncio.wait_for(asyncio.gather(*started), 30)
    assert (await reload(worker, sync)).status == "completed"


async def test_a_sync_cancelled_while_its_worker_was_gone_ends_cancelled(db, worker):
    workspace = uuid4()
    sync = await request(db, DEMO, workspace)
    await claim(worker, sync)
    eva = user(workspace)
    answer = await cancel_sync(transactions(db), EVENTS, eva, sync.id, wait_s=0.2)
    assert answer.status == "running" and answer.cancel_requested_at is not None
    async with db.transaction() as session:
        await session.execute(
            update(Sync).where(Sync.id == sync.id).values(lease_until=utcnow() - timedelta(1))
        )
    assert await sweep(worker) == 1
    assert (await reload(worker, sync)).status == "cancelled"
    [cancelled] = await outbox_events(db, SyncCancelled.routing_key())
    assert cancelled.actor.id == str(eva.user_id)


async def test_the_database_holds_one_active_sync_per_workspace_and_plugin(db, monkeypatch):
    workspace = uuid4()
    await request(db, DEMO, workspace)

    async def nothing_active(self, workspace_id, plugin):
        return None  # as a concurrent request sees it before the other commits

    monkeypatch.setattr("kasa_integrations.db.sync_runs.SyncRuns.active", nothing_active)
    with pytest.raises(SyncAlreadyRunning) as refused:
        await request(db, DEMO, workspace)
    problem = problem_for(refused.value)
    assert (problem.status, problem.detail) == (409, "a sync of demo is already running")
    assert problem.extra == {"reason": "already_running"}
