"""Runs a plugin for a workspace: dedupes what it yields, records history, publishes events.

Every batch commits its imported records, the plugin's cursor, the sync's counters and the
events together, so a crash loses no event and publishes none twice; the next run skips what
was already imported and publishes an update for what the provider changed.
"""

import asyncio
import hashlib
import json
import logging
import time
import traceback
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Actor, EventPayload
from kasa_contracts.changes import diff
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
from kasa_integrations import redaction
from kasa_integrations.configuration import effective_config
from kasa_integrations.credentials import CredentialVault
from kasa_integrations.db.tables import ImportedRecord, PluginState, Sync
from kasa_integrations.plugins import PLUGINS
from kasa_integrations.plugins.base import (
    BankTransaction,
    Plugin,
    SyncContext,
    SyncError,
    SyncWindow,
)
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.problems import ProblemError

log = logging.getLogger("kasa.integrations.sync")

BATCH_SIZE = 500
ACTIVE = ("pending", "running")
PROGRESS_EVERY_S = 0.9
"""How often a running sync writes its heartbeat and publishes progress (at least once a second)."""
HARD_CANCEL_AFTER_S = 2.0
"""A plugin that keeps waiting this long after a cancel request is interrupted."""
# A running sync writes a heartbeat about every second, even while its plugin waits on a
# provider; one silent for this long was cut off by a crash of whichever replica ran it. The
# sweep runs at startup, so a restarted service fails what its previous life left behind.
STALE_AFTER = timedelta(seconds=15)
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

RUNNING: dict[UUID, "SyncRun"] = {}
"""The runs in this process, so a cancel request reaches them at once."""


class SyncCancelledError(Exception):
    pass


def content_of(tx: BankTransaction) -> dict[str, Any]:
    """The normalized transaction without the provider's raw record."""
    return tx.model_dump(mode="json", exclude={"raw"})


def fingerprint(tx: BankTransaction) -> str:
    # The raw record is left out: providers add bookkeeping fields that do not change the money.
    return hashlib.sha256(json.dumps(content_of(tx), sort_keys=True).encode()).hexdigest()


def plugin_actor(plugin: Plugin) -> Actor:
    return Actor(type="plugin", id=plugin.name, name=plugin.display_name)


async def request_sync(
    db: Database,
    plugin: Plugin,
    workspace_id: UUID,
    requested_by: str,
    params: dict[str, Any],
    *,
    upload: bool = False,
    requester: Actor | None = None,
) -> Sync:
    """Record a pending sync and publish the request; 409 while another one runs or the
    plugin cannot run. ``requester`` is who asked (by default the user ``requested_by``)."""
    await fail_interrupted_syncs(db)
    if plugin.accepts_upload and not upload:
        raise ProblemError(
            409,
            "Conflict",
            f"{plugin.name} imports uploaded files: POST /api/v1/plugins/{plugin.name}/imports",
            reason="upload_required",
        )
    async with db.transaction() as session:
        config = await effective_config(session, plugin, workspace_id)
        if not config.configured:
            raise ProblemError(
                409,
                "Conflict",
                f"{plugin.name} is not configured for this workspace: "
                f"PUT /api/v1/plugins/{plugin.name}/config first",
                reason="not_configured",
            )
        if not config.enabled:
            raise ProblemError(
                409,
                "Conflict",
                f"{plugin.name} is disabled for this workspace",
                reason="disabled",
            )
        busy = await session.scalar(
            select(Sync.id).where(
                Sync.workspace_id == workspace_id,
                Sync.plugin == plugin.name,
                Sync.status.in_(ACTIVE),
            )
        )
        if busy:
            raise ProblemError(
                409,
                "Conflict",
                f"sync {busy} of {plugin.name} is still running",
                reason="already_running",
                sync_id=str(busy),
            )
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
                409,
                "Conflict",
                f"a sync of {plugin.name} is already running",
                reason="already_running",
            ) from None
        requested = make_envelope(
            SyncRequested(
                sync_id=sync.id, plugin=plugin.name, plugin_version=plugin.version, upload=upload
            ),
            producer="integrations",
            workspace_id=workspace_id,
            actor=requester or Actor(type="user", id=requested_by),
            # The sync's id correlates everything it leads to, whatever the request carried.
            correlation_id=str(sync.id),
        )
        sync.request_event_id = requested.event_id
        await add_events(session, [requested])
    return sync


def _window(params: dict[str, Any]) -> SyncWindow:
    start = params.get("date_from")
    end = params.get("date_to")
    return SyncWindow(
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else utcnow().date(),
    )


class SyncRun:
    """One run of a plugin; ``run`` takes it from ``pending`` to its final status."""

    def __init__(
        self,
        db: Database,
        plugin: Plugin,
        sync: Sync,
        vault: CredentialVault | None = None,
        *,
        upload: bytes | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.plugin = plugin
        self.sync = sync
        self.vault = vault
        self.upload = upload
        self.transport = transport
        self.actor = plugin_actor(plugin)
        self.counts = {"processed": 0, "created": 0, "updated": 0, "skipped": 0}
        self.total: int | None = None
        self.message: str | None = None
        self.cancel_requested = False
        self.secrets: list[str] = []
        self.started = time.monotonic()

    def envelope(self, payload: EventPayload, actor: Actor | None = None) -> Any:
        return make_envelope(
            payload,
            producer="integrations",
            workspace_id=self.sync.workspace_id,
            actor=actor or self.actor,
            correlation_id=str(self.sync.id),
            causation_id=self.sync.request_event_id,
        )

    def _report(self, total: int | None, message: str | None) -> None:
        if total is not None:
            self.total = total
        if message is not None:
            self.message = redaction.redact(message, self.secrets)

    async def run(self) -> None:
        RUNNING[self.sync.id] = self
        try:
            await self._run()
        finally:
            RUNNING.pop(self.sync.id, None)
            redaction.unregister(self.secrets)

    async def _run(self) -> None:
        self.started = time.monotonic()
        async with self.db.transaction() as session:
            current = await session.get(Sync, self.sync.id)
            if current is None or current.status != "pending":
                return  # cancelled before it started
            config = await effective_config(session, self.plugin, self.sync.workspace_id)
            stored = await session.get(PluginState, (self.sync.workspace_id, self.plugin.name))
            state = dict(stored.state) if stored else {}
            current.status = "running"
            current.started_at = utcnow()
            current.heartbeat_at = utcnow()
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
        window = _window(self.sync.params)
        self.metadata: dict[str, Any] = {
            "window": {
                "start": window.start.isoformat() if window.start else None,
                "end": window.end.isoformat(),
            },
            "cursor_before": dict(state),
        }
        try:
            credentials_values = config.credentials(self.vault)
            self.secrets = redaction.secret_values(credentials_values)
            redaction.register(self.secrets)
            settings = self.plugin.Settings.model_validate(config.settings)
            credentials = self.plugin.Credentials.model_validate(credentials_values)
        except Exception as exc:
            await self.finish("failed", error=f"the configuration cannot be used: {exc}")
            return
        if self.upload is not None:
            self.metadata["upload"] = self.sync.params.get("upload", {})
        async with httpx.AsyncClient(
            timeout=HTTP_TIMEOUT,
            transport=self.transport,
            headers={"User-Agent": f"Kasa/{self.plugin.name}-{self.plugin.version}"},
        ) as http:
            ctx = SyncContext(
                settings=settings,
                credentials=credentials,
                window=window,
                http=http,
                log=logging.LoggerAdapter(
                    logging.getLogger(f"kasa.integrations.plugins.{self.plugin.name}"),
                    {"sync_id": str(self.sync.id)},
                ),
                state=state,
                metadata={},
                params=self.sync.params,
                upload=self.upload,
                _progress=self._report,
            )
            consume = asyncio.ensure_future(self._consume(ctx))
            ticker = asyncio.ensure_future(self._tick(consume))
            status, error, backtrace = "completed", None, None
            try:
                await consume
            except (SyncCancelledError, asyncio.CancelledError):
                if not self.cancel_requested:
                    raise  # the service is stopping; the sweep fails the sync later
                status = "cancelled"
            except SyncError as exc:
                status, error = "failed", str(exc)
                backtrace = traceback.format_exc()
            except httpx.TimeoutException as exc:
                status, error = (
                    "failed",
                    f"the provider did not answer in time ({type(exc).__name__})",
                )
                backtrace = traceback.format_exc()
            except httpx.TransportError as exc:
                status, error = "failed", f"cannot reach the provider ({type(exc).__name__}: {exc})"
                backtrace = traceback.format_exc()
            except Exception as exc:
                status, error = "failed", f"{type(exc).__name__}: {exc}"
                backtrace = traceback.format_exc()
            finally:
                # On shutdown the run itself is cancelled: the plugin must stop with it.
                for task in (ticker, consume):
                    if not task.done():
                        task.cancel()
                await asyncio.gather(ticker, consume, return_exceptions=True)
            self.metadata.update(ctx.metadata)
            self.metadata["cursor"] = ctx.state
            if error:
                log.warning(
                    "sync %s of %s failed: %s",
                    self.sync.id,
                    self.plugin.name,
                    redaction.redact(error, self.secrets),
                )
            await self.finish(
                status,
                error=error,
                backtrace=backtrace,
                state=ctx.state if status == "completed" else None,
            )

    async def _consume(self, ctx: SyncContext) -> None:
        batch: list[BankTransaction] = []
        try:
            async for tx in self.plugin.sync(ctx):
                if self.cancel_requested:
                    raise SyncCancelledError()
                batch.append(tx)
                if len(batch) >= BATCH_SIZE:
                    await self.store(batch, ctx.state)
                    batch = []
        except Exception:
            # What the plugin yielded before it failed is valid: keep it, with the cursor.
            if batch and not self.cancel_requested:
                try:
                    await self.store(batch, ctx.state)
                except Exception:
                    log.exception("sync %s could not keep its last batch", self.sync.id)
            raise
        if self.cancel_requested:
            raise SyncCancelledError()
        if batch:
            await self.store(batch, ctx.state)

    async def _tick(self, consume: "asyncio.Future[None]") -> None:
        cancel_seen: float | None = None
        while True:
            await asyncio.sleep(PROGRESS_EVERY_S)
            try:
                async with self.db.transaction() as session:
                    row = await session.get(Sync, self.sync.id)
                    if row is not None:
                        row.heartbeat_at = utcnow()
                        if row.cancel_requested_at is not None:
                            self.cancel_requested = True
                    await add_events(session, [self.envelope(self.progress_payload())])
            except Exception:
                log.exception("sync %s could not record its progress", self.sync.id)
            if self.cancel_requested:
                cancel_seen = cancel_seen or time.monotonic()
                if time.monotonic() - cancel_seen >= HARD_CANCEL_AFTER_S:
                    consume.cancel()

    def progress_payload(self) -> SyncProgressed:
        return SyncProgressed(
            sync_id=self.sync.id,
            plugin=self.plugin.name,
            plugin_version=self.plugin.version,
            records_processed=self.counts["processed"],
            records_created=self.counts["created"],
            records_updated=self.counts["updated"],
            records_skipped=self.counts["skipped"],
            records_total=self.total,
            elapsed_s=round(time.monotonic() - self.started, 3),
            message=self.message,
        )

    async def store(self, batch: list[BankTransaction], state: dict[str, Any]) -> None:
        workspace_id, plugin = self.sync.workspace_id, self.plugin.name
        delta = {"processed": 0, "created": 0, "updated": 0, "skipped": 0}
        async with self.db.transaction() as session:
            known = {
                row.external_id: row
                for row in (
                    await session.execute(
                        select(
                            ImportedRecord.id,
                            ImportedRecord.external_id,
                            ImportedRecord.fingerprint,
                            ImportedRecord.content,
                        ).where(
                            ImportedRecord.workspace_id == workspace_id,
                            ImportedRecord.plugin == plugin,
                            ImportedRecord.external_id.in_({tx.external_id for tx in batch}),
                        )
                    )
                ).all()
            }
            seen: dict[str, tuple[str, dict[str, Any]]] = {
                k: (r.fingerprint, r.content or {}) for k, r in known.items()
            }
            new_rows: list[dict[str, Any]] = []
            now = utcnow()
            events = []
            common = {
                "plugin": plugin,
                "plugin_version": self.plugin.version,
                "sync_id": self.sync.id,
            }
            for tx in batch:
                delta["processed"] += 1
                print_, content = fingerprint(tx), content_of(tx)
                previous = seen.get(tx.external_id)
                if previous is not None and previous[0] == print_:
                    delta["skipped"] += 1
                    continue
                seen[tx.external_id] = (print_, content)
                if previous is None:
                    new_rows.append(
                        {
                            "id": new_id(),
                            "workspace_id": workspace_id,
                            "plugin": plugin,
                            "external_id": tx.external_id,
                            "fingerprint": print_,
                            "sync_id": self.sync.id,
                            "imported_at": now,
                            "content": content,
                        }
                    )
                    events.append(self.envelope(TransactionImported(**common, **tx.model_dump())))
                    delta["created"] += 1
                else:
                    if tx.external_id in known:
                        await session.execute(
                            update(ImportedRecord)
                            .where(ImportedRecord.id == known[tx.external_id].id)
                            .values(fingerprint=print_, content=content, updated_at=now)
                        )
                    else:  # the same id twice in one batch, the first one not stored yet
                        for row in new_rows:
                            if row["external_id"] == tx.external_id:
                                row.update(fingerprint=print_, content=content)
                    events.append(
                        self.envelope(
                            TransactionUpdated(
                                **common, **tx.model_dump(), changes=diff(previous[1], content)
                            )
                        )
                    )
                    delta["updated"] += 1
            if new_rows:
                await session.execute(insert(ImportedRecord), new_rows)
            await add_events(session, events)
            await _save_state(session, workspace_id, plugin, state)
            totals = {k: self.counts[k] + delta[k] for k in delta}
            await session.execute(
                update(Sync)
                .where(Sync.id == self.sync.id)
                .values(heartbeat_at=utcnow(), **{f"records_{k}": v for k, v in totals.items()})
            )
        self.counts = totals

    def _counter_values(self) -> dict[str, int]:
        return {f"records_{k}": v for k, v in self.counts.items()}

    async def finish(
        self,
        status: str,
        error: str | None = None,
        backtrace: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        duration = round(time.monotonic() - self.started, 3)
        common: dict[str, Any] = {
            "sync_id": self.sync.id,
            "plugin": self.plugin.name,
            "plugin_version": self.plugin.version,
        }
        counters = {f"records_{k}": v for k, v in self.counts.items()}
        error = redaction.redact(error, self.secrets) if error else None
        backtrace = redaction.redact(backtrace, self.secrets) if backtrace else None
        details = redaction.redact_data(getattr(self, "metadata", {}), self.secrets)
        details["duration_s"] = duration
        payload: EventPayload
        if status == "completed":
            payload = SyncCompleted(**common, **counters, duration_s=duration)
        elif status == "cancelled":
            payload = SyncCancelled(**common, **counters)
        else:
            payload = SyncFailed(
                **common,
                error_message=error or "failed",
                records_processed=self.counts["processed"],
            )
        async with self.db.transaction() as session:
            actor = None
            if status == "cancelled":
                # The cancel is the doing of whoever asked for it, whichever replica ran it.
                by = await session.scalar(
                    select(Sync.cancel_requested_by).where(Sync.id == self.sync.id)
                )
                actor = Actor(type="user", id=by) if by else None
            await session.execute(
                update(Sync)
                .where(Sync.id == self.sync.id)
                .values(
                    status=status,
                    completed_at=utcnow(),
                    error_message=error,
                    error_backtrace=backtrace,
                    details=details,
                    **counters,
                )
            )
            if state is not None:
                await _save_state(session, self.sync.workspace_id, self.plugin.name, state)
            await add_events(session, [self.envelope(payload, actor)])


async def _save_state(
    session: AsyncSession, workspace_id: UUID, plugin: str, state: dict[str, Any]
) -> None:
    row = await session.get(PluginState, (workspace_id, plugin))
    snapshot = json.loads(json.dumps(state, default=str))
    if row is None:
        session.add(
            PluginState(
                workspace_id=workspace_id, plugin=plugin, state=snapshot, updated_at=utcnow()
            )
        )
    elif row.state != snapshot:
        row.state = snapshot
        row.updated_at = utcnow()


async def cancel_sync(
    db: Database, workspace_id: UUID, sync_id: UUID, requester: Actor | None = None
) -> Sync | None:
    """Ask a sync to stop. A pending one is cancelled at once; a running one within seconds.

    ``requester`` is who asked; the ``sync.cancelled`` event names them as its actor.
    Returns None when the workspace has no such sync; raises 409 when it already finished.
    """
    async with db.transaction() as session:
        sync = await session.scalar(
            select(Sync)
            .where(Sync.id == sync_id, Sync.workspace_id == workspace_id)
            .with_for_update()
        )
        if sync is None:
            return None
        if sync.status not in ACTIVE:
            raise ProblemError(
                409, "Conflict", f"the sync is already {sync.status}", reason="finished"
            )
        sync.cancel_requested_at = sync.cancel_requested_at or utcnow()
        if requester is not None and sync.cancel_requested_by is None:
            sync.cancel_requested_by = requester.id
        if sync.status == "pending":
            plugin = PLUGINS.get(sync.plugin)
            sync.status = "cancelled"
            sync.completed_at = utcnow()
            await add_events(
                session,
                [
                    make_envelope(
                        SyncCancelled(
                            sync_id=sync.id,
                            plugin=sync.plugin,
                            plugin_version=sync.plugin_version,
                            records_processed=0,
                            records_created=0,
                            records_updated=0,
                            records_skipped=0,
                        ),
                        producer="integrations",
                        workspace_id=workspace_id,
                        actor=requester
                        or (
                            plugin_actor(plugin)
                            if plugin
                            else Actor(type="system", id="integrations")
                        ),
                        correlation_id=str(sync.id),
                    )
                ],
            )
    run = RUNNING.get(sync_id)
    if run is not None:
        run.cancel_requested = True
        for _ in range(50):  # answer with the final status when it comes quickly
            if sync_id not in RUNNING:
                break
            await asyncio.sleep(0.1)
    async with db.sessions() as session:
        return await session.get(Sync, sync_id)


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
