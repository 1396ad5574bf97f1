"""The sweep one replica at a time runs: no requested sync is left behind by a dead worker.

A running sync whose lease expired lost its worker (a crash, a kill, a lost network): the
sweep claims it again and runs it from its saved cursor, up to the worker's ``max_attempts``
claims; after that it fails it, saying why. A sync cancelled while its worker was gone is
cancelled. A queued sync that no worker claimed for a while (its request went unheard: the
broker was out of reach, no replica consumes) is claimed too. Each claim is the same
conditional update the consumer makes, so replicas sweeping together never share a run.
"""

import logging

from kasa_contracts import Actor
from kasa_contracts.events.integrations import SyncCancelled, SyncFailed
from kasa_integrations.app.correlation import about_sync
from kasa_integrations.app.sync_run import SyncWorker, system_actor
from kasa_integrations.db.tables import Sync
from kasa_integrations.db.unit_of_work import UnitOfWork
from kasa_integrations.domain.sync_status import SyncStatus
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At

log = logging.getLogger("kasa.integrations.sync")

INTERRUPTED = "interrupted: the service stopped before the sync finished"


async def sweep(worker: SyncWorker) -> int:
    """Resume, fail or cancel the syncs whose worker is gone; start what it claimed.

    Returns how many syncs it found left behind.
    """
    now = utcnow()
    claimed: list[Sync] = []
    found = 0
    async with worker.begin() as uow:
        for sync in await uow.syncs.expired(now):
            found += 1
            if sync.cancel_requested_at is not None:
                await _end(worker, uow, sync, SyncStatus.CANCELLED)
            elif sync.attempts >= worker.max_attempts:
                await _end(worker, uow, sync, SyncStatus.FAILED)
            elif (taken := await worker.reclaim(uow, sync, now)) is not None:
                log.warning(
                    "sync %s lost its worker %s; resuming it (attempt %d)",
                    sync.id,
                    sync.worker_id,
                    taken.attempts,
                )
                claimed.append(taken)
        for sync_id in await uow.syncs.waiting_since(now - worker.pickup_after):
            found += 1
            if (taken := await worker.claim(uow, sync_id, worker.events)) is not None:
                claimed.append(taken)
    for sync in claimed:
        worker.start(sync)
    return found


async def _end(worker: SyncWorker, uow: UnitOfWork, sync: Sync, status: SyncStatus) -> None:
    common = {"sync_id": sync.id, "plugin": sync.plugin, "plugin_version": sync.plugin_version}
    origin = At(sync.workspace_id, system_actor(worker.plugins, sync.plugin))
    if status == SyncStatus.CANCELLED:
        if sync.cancel_requested_by:
            origin = At(sync.workspace_id, Actor(type="user", id=sync.cancel_requested_by))
        counters = {
            "records_processed": sync.records_processed,
            "records_created": sync.records_created,
            "records_updated": sync.records_updated,
            "records_skipped": sync.records_skipped,
        }
        ended = await uow.syncs.finish(sync.id, None, status)
        payload: SyncCancelled | SyncFailed = SyncCancelled(**common, **counters)
    else:
        reason = f"{INTERRUPTED} (after {sync.attempts} attempts)"
        ended = await uow.syncs.finish(sync.id, None, status, error_message=reason)
        payload = SyncFailed(
            **common, error_message=reason, records_processed=sync.records_processed
        )
    if ended:
        with about_sync(sync.id, keep_cause=True):
            await worker.events.write(uow.session, payload, on=origin)
