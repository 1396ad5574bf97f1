"""Runs a plugin for a workspace: dedupes what it yields, records history, publishes events.

Every batch commits its imported records, the sync's counters and the events together, so a
crash loses no event and publishes none twice; the next run skips what was already imported.
"""

import hashlib
import logging
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kasa_contracts import Actor, EventPayload
from kasa_contracts.events.integrations import (
    SyncCompleted,
    SyncFailed,
    SyncStarted,
    TransactionImported,
)
from kasa_integrations.db.tables import ImportedRecord, Sync
from kasa_integrations.plugins import PLUGINS, Plugin
from kasa_integrations.plugins.base import BankTransaction, SyncContext
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.problems import ProblemError

log = logging.getLogger("kasa.integrations.sync")

BATCH_SIZE = 500
ACTIVE = ("pending", "running")
# A running sync writes a heartbeat with every batch; one silent for this long was cut off by
# a crash of whichever replica ran it.
STALE_AFTER = timedelta(seconds=60)


def fingerprint(tx: BankTransaction) -> str:
    return hashlib.sha256(tx.model_dump_json().encode()).hexdigest()


def plugin_actor(plugin: Plugin) -> Actor:
    return Actor(type="plugin", id=plugin.name, name=plugin.display_name)


async def request_sync(
    db: Database, plugin: Plugin, workspace_id: UUID, requested_by: str, params: dict[str, Any]
) -> Sync:
    """Record a pending sync; 409 while another sync of this plugin runs for the workspace."""
    await fail_interrupted_syncs(db)
    async with db.transaction() as session:
        busy = await session.scalar(
            select(Sync.id).where(
                Sync.workspace_id == workspace_id,
                Sync.plugin == plugin.name,
                Sync.status.in_(ACTIVE),
            )
        )
        if busy:
            raise ProblemError(409, "Conflict", f"sync {busy} of {plugin.name} is still running")
        sync = Sync(
            id=new_id(),
            workspace_id=workspace_id,
            plugin=plugin.name,
            plugin_version=plugin.version,
            status="pending",
            requested_by=requested_by,
            params=params,
            created_at=utcnow(),
            heartbeat_at=utcnow(),
            records_processed=0,
            records_created=0,
            records_updated=0,
            records_skipped=0,
            details={},
        )
        session.add(sync)
        try:
            await session.flush()
        except IntegrityError:
            raise ProblemError(
                409, "Conflict", f"a sync of {plugin.name} is already running"
            ) from None
    return sync


class SyncRun:
    def __init__(self, db: Database, plugin: Plugin, sync: Sync) -> None:
        self.db = db
        self.plugin = plugin
        self.sync = sync
        self.actor = plugin_actor(plugin)
        self.counts = {"processed": 0, "created": 0, "updated": 0, "skipped": 0}

    def envelope(self, payload: EventPayload) -> Any:
        return make_envelope(
            payload,
            producer="integrations",
            workspace_id=self.sync.workspace_id,
            actor=self.actor,
            correlation_id=str(self.sync.id),
        )

    async def run(self) -> None:
        started = time.monotonic()
        async with self.db.transaction() as session:
            await session.execute(
                update(Sync)
                .where(Sync.id == self.sync.id)
                .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())
            )
            await add_events(
                session,
                [
                    self.envelope(
                        SyncStarted(
                            sync_id=self.sync.id,
                            plugin=self.plugin.name,
                            plugin_version=self.plugin.version,
                        )
                    )
                ],
            )
        try:
            batch: list[BankTransaction] = []
            ctx = SyncContext(
                settings=self.plugin.Settings(),
                credentials=self.plugin.Credentials(),
                params=self.sync.params,
            )
            async for tx in self.plugin.sync(ctx):
                batch.append(tx)
                if len(batch) >= BATCH_SIZE:
                    await self.store(batch)
                    batch = []
            if batch:
                await self.store(batch)
        except Exception as exc:
            log.warning("sync %s failed: %s", self.sync.id, exc)
            await self.finish("failed", started, error=f"{type(exc).__name__}: {exc}")
            return
        await self.finish("completed", started)

    async def store(self, batch: list[BankTransaction]) -> None:
        workspace_id, plugin = self.sync.workspace_id, self.plugin.name
        async with self.db.transaction() as session:
            known = dict(
                (
                    await session.execute(
                        select(ImportedRecord.external_id, ImportedRecord.fingerprint).where(
                            ImportedRecord.workspace_id == workspace_id,
                            ImportedRecord.plugin == plugin,
                            ImportedRecord.external_id.in_([tx.external_id for tx in batch]),
                        )
                    )
                ).all()
            )
            now = utcnow()
            events = []
            for tx in batch:
                self.counts["processed"] += 1
                if tx.external_id in known:
                    self.counts["skipped"] += 1
                    continue
                known[tx.external_id] = fingerprint(tx)
                session.add(
                    ImportedRecord(
                        id=new_id(),
                        workspace_id=workspace_id,
                        plugin=plugin,
                        external_id=tx.external_id,
                        fingerprint=known[tx.external_id],
                        sync_id=self.sync.id,
                        imported_at=now,
                    )
                )
                events.append(
                    self.envelope(
                        TransactionImported(
                            plugin=plugin,
                            plugin_version=self.plugin.version,
                            sync_id=self.sync.id,
                            **tx.model_dump(),
                        )
                    )
                )
                self.counts["created"] += 1
            await add_events(session, events)
            await session.execute(
                update(Sync)
                .where(Sync.id == self.sync.id)
                .values(heartbeat_at=utcnow(), **self._counter_values())
            )

    def _counter_values(self) -> dict[str, int]:
        return {f"records_{k}": v for k, v in self.counts.items()}

    async def finish(self, status: str, started: float, error: str | None = None) -> None:
        duration = round(time.monotonic() - started, 3)
        common = {
            "sync_id": self.sync.id,
            "plugin": self.plugin.name,
            "plugin_version": self.plugin.version,
        }
        payload: EventPayload
        if status == "completed":
            payload = SyncCompleted(
                **common,
                records_processed=self.counts["processed"],
                records_created=self.counts["created"],
                records_updated=self.counts["updated"],
                records_skipped=self.counts["skipped"],
                duration_s=duration,
            )
        else:
            payload = SyncFailed(
                **common,
                error_message=error or "failed",
                records_processed=self.counts["processed"],
            )
        async with self.db.transaction() as session:
            await session.execute(
                update(Sync)
                .where(Sync.id == self.sync.id)
                .values(
                    status=status,
                    completed_at=utcnow(),
                    error_message=error,
                    **self._counter_values(),
                )
            )
            await add_events(session, [self.envelope(payload)])


async def fail_interrupted_syncs(db: Database) -> int:
    """Mark failed every sync whose runner stopped sending heartbeats, and say so."""
    async with db.transaction() as session:
        stale = (
            await session.scalars(
                select(Sync)
                .where(Sync.status.in_(ACTIVE), Sync.heartbeat_at < utcnow() - STALE_AFTER)
                .with_for_update(skip_locked=True)
            )
        ).all()
        events = []
        for sync in stale:
            sync.status = "failed"
            sync.completed_at = utcnow()
            sync.error_message = "interrupted: the service stopped before the sync finished"
            plugin = PLUGINS.get(sync.plugin)
            actor = plugin_actor(plugin) if plugin else Actor(type="system", id="integrations")
            payload = SyncFailed(
                sync_id=sync.id,
                plugin=sync.plugin,
                plugin_version=sync.plugin_version,
                error_message=sync.error_message,
                records_processed=sync.records_processed,
            )
            events.append(
                make_envelope(
                    payload,
                    producer="integrations",
                    workspace_id=sync.workspace_id,
                    actor=actor,
                    correlation_id=str(sync.id),
                )
            )
        await add_events(session, events)
    return len(stale)
