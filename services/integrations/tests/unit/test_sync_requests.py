"""Requesting and cancelling syncs, on in-memory doubles of the database."""

from uuid import uuid4

import pytest

from kasa_contracts.events.integrations import SyncCancelled, SyncRequested
from kasa_integrations.app.sync_requests import cancel_sync, request_cancel, request_sync
from kasa_integrations.db.tables import PluginConfig
from kasa_integrations.domain.errors import (
    PluginDisabled,
    PluginNotConfigured,
    SyncAlreadyRunning,
    SyncFinished,
    SyncNotFound,
    UploadRequired,
)
from kasa_integrations.plugins import registry
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import RecordedEvents

PLUGINS = registry()


def owner(workspace=None) -> Principal:
    return Principal(user_id=uuid4(), workspace_id=workspace or uuid4(), role="owner", name="Eva")


async def test_a_request_queues_the_run_and_publishes_it_correlated_with_the_run(store):
    events, eva = RecordedEvents(), owner()
    sync = await request_sync(store, events, PLUGINS["demo"], eva, {"count": 5})
    assert (sync.status, sync.attempts, sync.requested_by) == ("pending", 0, str(eva.user_id))
    [requested] = events.written
    assert isinstance(requested.payload, SyncRequested)
    assert requested.payload.sync_id == sync.id and requested.payload.upload is False
    assert requested.correlation_id == str(sync.id) and requested.actor == eva.actor
    assert sync.request_event_id == requested.event_id


async def test_one_active_run_per_workspace_and_plugin(store):
    eva = owner()
    first = await request_sync(store, RecordedEvents(), PLUGINS["demo"], eva, {})
    with pytest.raises(SyncAlreadyRunning, match=f"sync {first.id} of demo is still running"):
        await request_sync(store, RecordedEvents(), PLUGINS["demo"], eva, {})
    await request_sync(store, RecordedEvents(), PLUGINS["demo"], owner(), {})


async def test_a_plugin_that_cannot_run_is_refused_saying_why(store):
    eva = owner()
    with pytest.raises(PluginNotConfigured, match="PUT /api/v1/plugins/fio/config first"):
        await request_sync(store, RecordedEvents(), PLUGINS["fio"], eva, {})
    with pytest.raises(UploadRequired, match="POST /api/v1/plugins/camt053/imports"):
        await request_sync(store, RecordedEvents(), PLUGINS["camt053"], eva, {})
    store.configs.add(
        PluginConfig(
            id=uuid4(),
            workspace_id=eva.workspace_id,
            plugin="demo",
            enabled=False,
            settings={},
            credentials_set=[],
        )
    )
    with pytest.raises(PluginDisabled, match="demo is disabled for this workspace"):
        await request_sync(store, RecordedEvents(), PLUGINS["demo"], eva, {})
    assert store.syncs.rows == {}


async def test_an_upload_is_kept_with_its_run_for_whichever_worker_runs_it(store):
    sync = await request_sync(
        store, RecordedEvents(), PLUGINS["camt053"], owner(), {}, upload=b"<Document/>"
    )
    assert store.syncs.uploads[sync.id] == b"<Document/>"


async def test_a_queued_run_is_cancelled_at_once_by_whoever_asked(store):
    eva = owner()
    sync = await request_sync(store, RecordedEvents(), PLUGINS["demo"], eva, {})
    events = RecordedEvents()
    cancelled = await cancel_sync(store.begin, events, eva, sync.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_requested_by == str(eva.user_id)
    [event] = events.written
    assert isinstance(event.payload, SyncCancelled) and event.actor == eva.actor
    assert event.correlation_id == str(sync.id)
    with pytest.raises(SyncFinished, match="the sync is already cancelled"):
        await request_cancel(store, RecordedEvents(), eva, sync.id)


async def test_a_running_run_is_only_marked_its_worker_ends_it(store):
    eva = owner()
    sync = await request_sync(store, RecordedEvents(), PLUGINS["demo"], eva, {})
    await store.syncs.claim(sync.id, "worker-a", utcnow())
    events = RecordedEvents()
    answer = await cancel_sync(store.begin, events, eva, sync.id, wait_s=0.15)
    assert answer.status == "running" and answer.cancel_requested_at is not None
    assert events.written == [], "the worker that holds it writes the cancellation"


async def test_another_workspaces_sync_does_not_exist(store):
    sync = await request_sync(store, RecordedEvents(), PLUGINS["demo"], owner(), {})
    with pytest.raises(SyncNotFound):
        await request_cancel(store, RecordedEvents(), owner(), sync.id)
