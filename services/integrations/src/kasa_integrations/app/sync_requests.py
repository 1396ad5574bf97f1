"""Asking for a sync and asking it to stop.

A request commits the run (``pending``: queued) and its ``SyncRequested`` event in one
transaction; a worker that consumes the event claims and runs it (``app/sync_run.py``). A
cancel marks the run: a queued run is cancelled at once, a running one is stopped by the worker
that holds it at its next page, whichever process that is.
"""

import asyncio
from typing import Any
from uuid import UUID

from kasa_contracts.events.integrations import SyncCancelled, SyncRequested
from kasa_integrations.app.correlation import about_sync
from kasa_integrations.app.plugin_configuration import effective_config
from kasa_integrations.db.sync_runs import DuplicateActiveSync
from kasa_integrations.db.tables import Sync
from kasa_integrations.db.unit_of_work import Transactions, UnitOfWork
from kasa_integrations.domain.errors import (
    PluginDisabled,
    PluginNotConfigured,
    SyncAlreadyRunning,
    SyncFinished,
    SyncNotFound,
    UploadRequired,
)
from kasa_integrations.domain.sync_status import SyncStatus, move
from kasa_integrations.plugins.base import Plugin
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id

FINAL_STATUS_WAIT_S = 5.0
"""How long a cancel waits for the worker to stop, to answer with the final status."""


async def ensure_can_request(uow: UnitOfWork, plugin: Plugin, workspace_id: UUID) -> None:
    """Refuse at once a run that could not start: the plugin is not configured or enabled in
    the workspace, or one of its runs is active there (``SyncAlreadyRunning``).

    Cheap, so a caller runs it before costly work such as reading an uploaded file.
    """
    config = await effective_config(uow, plugin, workspace_id)
    if not config.configured:
        raise PluginNotConfigured(plugin.name)
    if not config.enabled:
        raise PluginDisabled(plugin.name)
    busy = await uow.syncs.active(workspace_id, plugin.name)
    if busy:
        raise SyncAlreadyRunning(plugin.name, busy)


async def request_sync(
    uow: UnitOfWork,
    events: EventWriter,
    plugin: Plugin,
    requester: Principal,
    params: dict[str, Any],
    *,
    upload: bytes | None = None,
) -> Sync:
    """Queue a run of ``plugin`` for the requester's workspace and publish the request.

    Refused while another run of the plugin is active there (also under concurrent
    requests: a unique index holds one active run per workspace and plugin), or when the
    plugin cannot run. ``upload`` is the file an upload plugin reads; it is kept with the run.
    """
    workspace_id = requester.workspace_id
    if plugin.accepts_upload and upload is None:
        raise UploadRequired(plugin.name)
    await ensure_can_request(uow, plugin, workspace_id)
    now = utcnow()
    sync = Sync(
        id=new_id(),
        workspace_id=workspace_id,
        plugin=plugin.name,
        plugin_version=plugin.version,
        status=SyncStatus.PENDING.value,
        requested_by=str(requester.user_id),
        params=params,
        created_at=now,
        heartbeat_at=now,
        records_processed=0,
        records_created=0,
        records_updated=0,
        records_skipped=0,
        attempts=0,
        details={},
    )
    try:
        await uow.syncs.add(sync, upload)
    except DuplicateActiveSync:
        raise SyncAlreadyRunning(plugin.name) from None
    # The sync's id correlates everything it leads to, whatever the request carried.
    with about_sync(sync.id, keep_cause=True):
        [requested] = await events.write(
            uow.session,
            SyncRequested(
                sync_id=sync.id,
                plugin=plugin.name,
                plugin_version=plugin.version,
                upload=upload is not None,
            ),
            on=requester,
        )
    sync.request_event_id = requested.event_id
    return sync


async def request_cancel(
    uow: UnitOfWork,
    events: EventWriter,
    requester: Principal,
    sync_id: UUID,
) -> Sync:
    """Mark a sync cancelled-on-request; a queued one is cancelled here and now.

    ``SyncNotFound`` when the workspace has no such sync, ``SyncFinished`` when it ended.
    """
    sync = await uow.syncs.in_workspace(requester.workspace_id, sync_id, for_update=True)
    if sync is None:
        raise SyncNotFound()
    if not SyncStatus(sync.status).active:
        raise SyncFinished(sync.status)
    sync.cancel_requested_at = sync.cancel_requested_at or utcnow()
    if sync.cancel_requested_by is None:
        sync.cancel_requested_by = requester.actor.id
    if sync.status == SyncStatus.PENDING:
        sync.status = move(sync.status, SyncStatus.CANCELLED).value
        sync.completed_at = utcnow()
        with about_sync(sync.id, keep_cause=True):
            await events.write(
                uow.session,
                SyncCancelled(
                    sync_id=sync.id,
                    plugin=sync.plugin,
                    plugin_version=sync.plugin_version,
                    records_processed=0,
                    records_created=0,
                    records_updated=0,
                    records_skipped=0,
                ),
                on=requester,
            )
    return sync


async def cancel_sync(
    begin: Transactions,
    events: EventWriter,
    requester: Principal,
    sync_id: UUID,
    *,
    wait_s: float = FINAL_STATUS_WAIT_S,
) -> Sync:
    """Ask a sync to stop and answer with its final status when that comes quickly.

    A running sync is stopped by its worker within seconds; this waits up to ``wait_s`` for
    it, then answers with the sync as it stands (``cancel_requested`` set).
    """
    async with begin() as uow:
        sync = await request_cancel(uow, events, requester, sync_id)
    deadline = asyncio.get_running_loop().time() + wait_s
    while SyncStatus(sync.status).active and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        async with begin() as uow:
            sync = await uow.syncs.get(sync_id) or sync
    return sync
