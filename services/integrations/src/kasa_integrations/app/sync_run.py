"""Running a sync: a worker claims a queued run, runs its plugin page by page, and ends it.

A worker claims a run with one conditional update (``pending`` → ``running`` with its id and a
lease deadline); a worker that finds nothing to update does nothing, so a run is never run twice
at once. The claim happens in the transaction that consumes ``SyncRequested``; the run itself
starts only after that commits, in a task of the worker, never inside the consumer's
transaction. While it runs, a heartbeat renews the lease about every second, reads cancel
requests and publishes progress. Every page commits its imported records, the plugin's cursor,
the counters and the events together, and only while the worker still holds the lease.

A run whose worker died keeps its lease until it expires; the recovery sweep
(``app/sync_recovery.py``) then claims it again and runs it from the saved cursor. Imports are
deduped, so pages read twice publish nothing twice.
"""

import asyncio
import logging
import os
import socket
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from pydantic import ValidationError

from kasa_contracts import Actor, EventPayload
from kasa_contracts.changes import diff
from kasa_contracts.events.integrations import (
    SyncCancelled,
    SyncCompleted,
    SyncFailed,
    SyncProgressed,
    SyncStarted,
    TransactionImported,
    TransactionUpdated,
)
from kasa_integrations.app.correlation import about_sync
from kasa_integrations.app.plugin_configuration import effective_config
from kasa_integrations.db.tables import Sync
from kasa_integrations.db.unit_of_work import Transactions, UnitOfWork
from kasa_integrations.domain.dedupe import Changed, plan_page
from kasa_integrations.domain.sync_status import SyncStatus
from kasa_integrations.plugins.base import (
    BankTransaction,
    Plugin,
    SyncContext,
    SyncError,
    SyncWindow,
    plugin_actor,
)
from kasa_integrations.security import redaction
from kasa_integrations.security.credentials import CredentialVault
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter

log = logging.getLogger("kasa.integrations.sync")

BATCH_SIZE = 500
PROGRESS_EVERY_S = 0.9
"""How often a running sync renews its lease and publishes progress (at least once a second)."""
HARD_CANCEL_AFTER_S = 2.0
"""A plugin that keeps waiting this long after a cancel request is interrupted."""
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RELEASE_TIMEOUT_S = 2.0

Spawn = Callable[[Awaitable[Any], str], Any]


class SyncCancelledError(Exception):
    pass


class LeaseLost(Exception):
    """Another worker has taken the run over: this one must stop and commit nothing more."""


def default_worker_id() -> str:
    """Host, process and a random part: unique per process, and readable for operators."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid4().hex[:6]}"


def system_actor(plugins: dict[str, Plugin], plugin_name: str) -> Actor:
    """Who a run's events name when no user acted: its plugin, or the service itself."""
    plugin = plugins.get(plugin_name)
    return plugin_actor(plugin) if plugin else Actor(type="system", id="integrations")


class SyncWorker:
    """Claims and runs syncs in this process.

    Built in the composition root with the one plugin registry and the vault, and bound to
    the running service (database, event writer, task spawner) when it starts.
    """

    def __init__(
        self,
        plugins: dict[str, Plugin],
        vault: CredentialVault | None,
        *,
        worker_id: str | None = None,
        lease_s: float = 15.0,
        max_attempts: int = 3,
        pickup_after_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.plugins = plugins
        self.vault = vault
        self.worker_id = worker_id or default_worker_id()
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts
        self.pickup_after = timedelta(seconds=pickup_after_s)
        self.transport = transport
        self._begin: Transactions | None = None
        self._events: EventWriter | None = None
        self._spawn: Spawn | None = None

    def attach(self, begin: Transactions, events: EventWriter, spawn: Spawn) -> None:
        self._begin, self._events, self._spawn = begin, events, spawn

    @property
    def begin(self) -> Transactions:
        if self._begin is None:
            raise RuntimeError("the sync worker is not attached to a running service")
        return self._begin

    @property
    def events(self) -> EventWriter:
        if self._events is None:
            raise RuntimeError("the sync worker is not attached to a running service")
        return self._events

    def lease_until(self, now: datetime | None = None) -> datetime:
        return (now or utcnow()) + self.lease

    async def claim(self, uow: UnitOfWork, sync_id: UUID, events: EventWriter) -> Sync | None:
        """Claim a queued run in ``uow``'s transaction; None when it is not queued any more.

        The first claim publishes ``SyncStarted`` with it.
        """
        sync = await uow.syncs.claim(sync_id, self.worker_id, self.lease_until())
        if sync is None:
            return None
        if sync.attempts == 1:
            with about_sync(sync.id, sync.request_event_id):
                await events.write(
                    uow.session,
                    SyncStarted(
                        sync_id=sync.id, plugin=sync.plugin, plugin_version=sync.plugin_version
                    ),
                    on=At(sync.workspace_id, system_actor(self.plugins, sync.plugin)),
                )
        return sync

    async def reclaim(self, uow: UnitOfWork, sync: Sync, now: datetime) -> Sync | None:
        """Take over a run whose worker's lease expired; None when another worker was first."""
        return await uow.syncs.reclaim(sync, self.worker_id, self.lease_until(now), now)

    async def claim_and_start(self, uow: UnitOfWork, sync_id: UUID, events: EventWriter) -> bool:
        """Claim a run and start it once ``uow`` commits; False when it was not ours to take."""
        sync = await self.claim(uow, sync_id, events)
        if sync is None:
            return False
        uow.after_commit(lambda: self.start(sync))
        return True

    def start(self, sync: Sync) -> None:
        """Run a claimed sync in a task of this worker."""
        if self._spawn is None:
            raise RuntimeError("the sync worker is not attached to a running service")
        self._spawn(self.run(sync), f"sync-{sync.id}")

    async def run(self, sync: Sync) -> None:
        """Run a sync this worker has claimed, to its end (or until it loses the lease)."""
        plugin = self.plugins.get(sync.plugin)
        with about_sync(sync.id, sync.request_event_id):
            if plugin is None:
                await self._fail_unrunnable(sync, f"the plugin {sync.plugin} is not installed")
                return
            await SyncRun(self, plugin, sync).execute()

    async def _fail_unrunnable(self, sync: Sync, reason: str) -> None:
        async with self.begin() as uow:
            if await uow.syncs.finish(
                sync.id, self.worker_id, SyncStatus.FAILED, error_message=reason
            ):
                await self.events.write(
                    uow.session,
                    SyncFailed(
                        sync_id=sync.id,
                        plugin=sync.plugin,
                        plugin_version=sync.plugin_version,
                        error_message=reason,
                        records_processed=sync.records_processed,
                    ),
                    on=At(sync.workspace_id, system_actor(self.plugins, sync.plugin)),
                )


def _unusable_configuration(exc: Exception) -> str:
    """Why a stored configuration cannot run, naming fields and rules, never their values."""
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"
            for error in exc.errors()
        )
        return f"the configuration cannot be used ({problems}); save it again"
    return f"the configuration cannot be used: {exc}"


def _window(params: dict[str, Any]) -> SyncWindow:
    start = params.get("date_from")
    end = params.get("date_to")
    return SyncWindow(
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else utcnow().date(),
    )


class SyncRun:
    """One claimed run of a plugin, from its saved cursor to its final status."""

    def __init__(self, worker: SyncWorker, plugin: Plugin, sync: Sync) -> None:
        self.worker = worker
        self.plugin = plugin
        self.sync = sync
        self.origin = At(sync.workspace_id, plugin_actor(plugin))
        # A resumed run goes on counting from what its earlier attempts committed.
        self.counts = {
            "processed": sync.records_processed,
            "created": sync.records_created,
            "updated": sync.records_updated,
            "skipped": sync.records_skipped,
        }
        self.total: int | None = None
        self.message: str | None = None
        self.cancel_requested = False
        self.lost = False
        self.secrets: list[str] = []
        self.metadata: dict[str, Any] = {}
        self.started = time.monotonic()

    def _report(self, total: int | None, message: str | None) -> None:
        if total is not None:
            self.total = total
        if message is not None:
            self.message = redaction.redact(message, self.secrets)

    async def execute(self) -> None:
        try:
            await self._execute()
        finally:
            redaction.unregister(self.secrets)

    async def _execute(self) -> None:
        sync = self.sync
        async with self.worker.begin() as uow:
            config = await effective_config(uow, self.plugin, sync.workspace_id)
            state = await uow.imports.cursor(sync.workspace_id, self.plugin.name)
            upload = await uow.syncs.upload(sync.id) if self.plugin.accepts_upload else None
        window = _window(sync.params)
        self.metadata = {
            "window": {
                "start": window.start.isoformat() if window.start else None,
                "end": window.end.isoformat(),
            },
            "cursor_before": dict(state),
        }
        if sync.attempts > 1:
            self.metadata["attempts"] = sync.attempts
        try:
            credentials_values = config.credentials(self.worker.vault)
            self.secrets = redaction.secret_values(credentials_values)
            redaction.register(self.secrets)
            settings = self.plugin.Settings.model_validate(config.settings)
            credentials = self.plugin.Credentials.model_validate(credentials_values)
        except Exception as exc:
            await self.finish(SyncStatus.FAILED, error=_unusable_configuration(exc))
            return
        if self.plugin.accepts_upload:
            if upload is None:
                await self.finish(SyncStatus.FAILED, error="the uploaded file is not stored")
                return
            self.metadata["upload"] = sync.params.get("upload", {})
        async with httpx.AsyncClient(
            timeout=HTTP_TIMEOUT,
            transport=self.worker.transport,
            headers={"User-Agent": f"Kasa/{self.plugin.name}-{self.plugin.version}"},
        ) as http:
            ctx = SyncContext(
                settings=settings,
                credentials=credentials,
                window=window,
                http=http,
                log=logging.LoggerAdapter(
                    logging.getLogger(f"kasa.integrations.plugins.{self.plugin.name}"),
                    {"sync_id": str(sync.id)},
                ),
                state=state,
                metadata={},
                params=sync.params,
                upload=upload,
                _progress=self._report,
            )
            consume = asyncio.ensure_future(self._consume(ctx))
            ticker = asyncio.ensure_future(self._tick(consume))
            status, error, backtrace = SyncStatus.COMPLETED, None, None
            try:
                await consume
            except LeaseLost:
                self.lost = True
            except (SyncCancelledError, asyncio.CancelledError):
                if not self.lost and not self.cancel_requested:
                    # The service is stopping: let another worker resume the run at once.
                    await self._release()
                    raise
                status = SyncStatus.CANCELLED
            except SyncError as exc:
                status, error = SyncStatus.FAILED, str(exc)
                backtrace = traceback.format_exc()
            except httpx.TimeoutException as exc:
                status = SyncStatus.FAILED
                error = f"the provider did not answer in time ({type(exc).__name__})"
                backtrace = traceback.format_exc()
            except httpx.TransportError as exc:
                status = SyncStatus.FAILED
                error = f"cannot reach the provider ({type(exc).__name__}: {exc})"
                backtrace = traceback.format_exc()
            except Exception as exc:
                status, error = SyncStatus.FAILED, f"{type(exc).__name__}: {exc}"
                backtrace = traceback.format_exc()
            finally:
                # On shutdown the run itself is cancelled: the plugin must stop with it.
                for task in (ticker, consume):
                    if not task.done():
                        task.cancel()
                await asyncio.gather(ticker, consume, return_exceptions=True)
            if self.lost:
                log.warning("sync %s was taken over by another worker; this one stops", sync.id)
                return
            self.metadata.update(ctx.metadata)
            self.metadata["cursor"] = ctx.state
            if error:
                # The backtrace is for operators: it goes to the log (and stays on the row),
                # never into what the API shows users.
                log.warning(
                    "sync %s of %s failed: %s\n%s",
                    sync.id,
                    self.plugin.name,
                    redaction.redact(error, self.secrets),
                    redaction.redact(backtrace or "", self.secrets),
                )
            await self.finish(
                status,
                error=error,
                backtrace=backtrace,
                state=ctx.state if status == SyncStatus.COMPLETED else None,
            )

    async def _consume(self, ctx: SyncContext) -> None:
        batch: list[BankTransaction] = []
        try:
            async for tx in self.plugin.sync(ctx):
                if self.cancel_requested or self.lost:
                    raise SyncCancelledError()
                batch.append(tx)
                if len(batch) >= BATCH_SIZE:
                    await self.store(batch, ctx.state)
                    batch = []
        except LeaseLost:
            raise
        except Exception:
            # What the plugin yielded before it failed is valid: keep it, with the cursor.
            if batch and not self.cancel_requested and not self.lost:
                try:
                    await self.store(batch, ctx.state)
                except Exception:
                    log.exception("sync %s could not keep its last batch", self.sync.id)
            raise
        if self.cancel_requested or self.lost:
            raise SyncCancelledError()
        if batch:
            await self.store(batch, ctx.state)

    async def _tick(self, consume: "asyncio.Future[None]") -> None:
        cancel_seen: float | None = None
        while True:
            await asyncio.sleep(PROGRESS_EVERY_S)
            try:
                async with self.worker.begin() as uow:
                    held = await uow.syncs.renew(
                        self.sync.id, self.worker.worker_id, self.worker.lease_until()
                    )
                    if not held:
                        self.lost = True
                    else:
                        if await uow.syncs.cancel_requested(self.sync.id):
                            self.cancel_requested = True
                        await self.worker.events.write(
                            uow.session, self.progress_payload(), on=self.origin
                        )
            except Exception:
                log.exception("sync %s could not record its progress", self.sync.id)
            if self.lost:
                consume.cancel()
                return
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
        """Commit one page: new and changed records, their events, the cursor, the counters."""
        workspace_id, plugin = self.sync.workspace_id, self.plugin.name
        async with self.worker.begin() as uow:
            known = await uow.imports.known(workspace_id, plugin, (t.external_id for t in batch))
            plan = plan_page(batch, known)
            totals = {k: self.counts[k] + v for k, v in plan.counts.items()}
            held = await uow.syncs.record_counts(
                self.sync.id, self.worker.worker_id, totals, self.worker.lease_until()
            )
            if not held:
                self.lost = True
                raise LeaseLost()
            now = utcnow()
            await uow.imports.add(
                workspace_id,
                plugin,
                self.sync.id,
                [(n.tx.external_id, n.fingerprint, n.content) for n in plan.records_to_insert()],
                now,
            )
            for change in plan.records_to_update():
                await uow.imports.change(
                    workspace_id,
                    plugin,
                    change.tx.external_id,
                    change.fingerprint,
                    change.content,
                    now,
                )
            common = {
                "plugin": plugin,
                "plugin_version": self.plugin.version,
                "sync_id": self.sync.id,
            }
            payloads: list[EventPayload] = []
            for decision in plan.decisions:
                if isinstance(decision, Changed):
                    payloads.append(
                        TransactionUpdated(
                            **common,
                            **decision.tx.model_dump(),
                            changes=diff(decision.before, decision.content),
                        )
                    )
                else:
                    payloads.append(TransactionImported(**common, **decision.tx.model_dump()))
            await self.worker.events.write(uow.session, *payloads, on=self.origin)
            await uow.imports.save_cursor(workspace_id, plugin, state)
        self.counts = totals

    async def finish(
        self,
        status: SyncStatus,
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
        details = redaction.redact_data(self.metadata, self.secrets)
        details["duration_s"] = duration
        payload: EventPayload
        if status == SyncStatus.COMPLETED:
            payload = SyncCompleted(**common, **counters, duration_s=duration)
        elif status == SyncStatus.CANCELLED:
            payload = SyncCancelled(**common, **counters)
        else:
            payload = SyncFailed(
                **common,
                error_message=error or "failed",
                records_processed=self.counts["processed"],
            )
        async with self.worker.begin() as uow:
            origin = self.origin
            if status == SyncStatus.CANCELLED:
                # The cancel is the doing of whoever asked for it, whichever replica ran it.
                by = await uow.syncs.cancel_requested_by(self.sync.id)
                if by:
                    origin = At(self.sync.workspace_id, Actor(type="user", id=by))
            ended = await uow.syncs.finish(
                self.sync.id,
                self.worker.worker_id,
                status,
                error_message=error,
                error_backtrace=backtrace,
                details=details,
                **counters,
            )
            if not ended:
                log.warning("sync %s was taken over before it could end here", self.sync.id)
                return
            if state is not None:
                await uow.imports.save_cursor(self.sync.workspace_id, self.plugin.name, state)
            await self.worker.events.write(uow.session, payload, on=origin)

    async def _release(self) -> None:
        """Give the lease up at once (best effort), so the sweep resumes the run elsewhere."""
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                async with self.worker.begin() as uow:
                    await uow.syncs.renew(self.sync.id, self.worker.worker_id, utcnow())
        except Exception:
            log.info("sync %s could not release its lease; it expires on its own", self.sync.id)
