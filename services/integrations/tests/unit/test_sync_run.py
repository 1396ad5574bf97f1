"""A worker's claim and run of a sync, on in-memory doubles of the database."""

from datetime import timedelta
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from kasa_contracts.events.integrations import (
    SyncCompleted,
    SyncStarted,
    TransactionImported,
)
from kasa_integrations.app.sync_recovery import sweep
from kasa_integrations.app.sync_requests import request_sync
from kasa_integrations.app.sync_run import SyncWorker, _unusable_configuration
from kasa_integrations.plugins import registry
from kasa_integrations.plugins.fio import FioCredentials
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import RecordedEvents


@pytest.fixture
def events() -> RecordedEvents:
    return RecordedEvents("integrations")


def worker_on(store, events, started, name="worker-a") -> SyncWorker:
    worker = SyncWorker(
        registry(), CredentialVault([Fernet.generate_key().decode()]), worker_id=name
    )
    worker.attach(store.begin, events, lambda coro, _name: started.append(coro))
    return worker


async def queued(store, count=7):
    eva = Principal(user_id=uuid4(), workspace_id=uuid4(), role="owner")
    return await request_sync(store, RecordedEvents(), registry()["demo"], eva, {"count": count})


async def test_a_claimed_run_starts_after_its_transaction_and_imports_each_once(store, events):
    started: list = []
    worker = worker_on(store, events, started)
    sync = await queued(store)
    async with store.begin() as uow:
        assert await worker.claim_and_start(uow, sync.id, events)
        assert started == [], "nothing runs inside the consumer's transaction"
    [run] = started
    await run
    row = store.syncs.rows[sync.id]
    assert (row.status, row.records_created, row.worker_id) == ("completed", 7, "worker-a")
    assert len(events.payloads(TransactionImported)) == 7
    assert len(events.payloads(SyncStarted)) == len(events.payloads(SyncCompleted)) == 1
    assert {e.correlation_id for e in events.written} == {str(sync.id)}
    assert {e.causation_id for e in events.written} == {sync.request_event_id}
    assert sync.id not in store.syncs.uploads


async def test_a_second_worker_finds_nothing_to_claim(store, events):
    sync = await queued(store)
    first, second = worker_on(store, events, []), worker_on(store, events, [], "worker-b")
    async with store.begin() as uow:
        assert await first.claim(uow, sync.id, events) is not None
        assert await second.claim(uow, sync.id, events) is None


async def test_the_sweep_resumes_a_run_whose_lease_expired_then_gives_up(store, events):
    started: list = []
    sync = await queued(store)
    dead = worker_on(store, events, [])
    async with store.begin() as uow:
        await dead.claim(uow, sync.id, events)
    row = store.syncs.rows[sync.id]
    row.lease_until = utcnow() - timedelta(seconds=1)
    alive = worker_on(store, events, started, "worker-b")
    assert await sweep(alive) == 1
    assert (row.worker_id, row.attempts, len(started)) == ("worker-b", 2, 1)
    started.pop().close()  # worker-b dies before running it, twice
    row.lease_until = utcnow() - timedelta(seconds=1)
    assert await sweep(alive) == 1
    started.pop().close()
    row.lease_until = utcnow() - timedelta(seconds=1)
    assert await sweep(alive) == 1
    assert row.status == "failed" and "interrupted" in row.error_message
    assert "after 3 attempts" in row.error_message


def test_an_unusable_configuration_is_explained_without_its_values():
    token = "Qw3r" * 15 + "ty!!"
    with pytest.raises(ValidationError) as refused:
        FioCredentials.model_validate({"token": token})
    explained = _unusable_configuration(refused.value)
    assert explained.startswith("the configuration cannot be used (token: String should match")
    assert token[:8] not in explained and token[-8:] not in explained
