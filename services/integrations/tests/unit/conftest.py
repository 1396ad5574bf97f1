"""In-memory doubles of the integrations database for unit tests of the use cases.

``FakeStore`` keeps rows in dictionaries and answers the repository calls the use cases make
(``uow.syncs``, ``uow.imports``, ``uow.configs``), with the same conditional rules as the
real queries: a claim takes only a queued run, a worker's writes need its lease.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from kasa_integrations.db.sync_runs import DuplicateActiveSync
from kasa_integrations.db.tables import PluginConfig, Sync
from kasa_integrations.domain.dedupe import Known
from kasa_integrations.domain.sync_status import ACTIVE, SyncStatus
from kasa_servicekit.db import utcnow


class FakeSyncs:
    def __init__(self) -> None:
        self.rows: dict[UUID, Sync] = {}
        self.uploads: dict[UUID, bytes] = {}

    async def active(self, workspace_id: UUID, plugin: str) -> UUID | None:
        for row in self.rows.values():
            if (row.workspace_id, row.plugin) == (workspace_id, plugin) and row.status in ACTIVE:
                return row.id
        return None

    async def add(self, sync: Sync, upload: bytes | None = None) -> None:
        if await self.active(sync.workspace_id, sync.plugin):
            raise DuplicateActiveSync()
        self.rows[sync.id] = sync
        if upload is not None:
            self.uploads[sync.id] = upload

    async def get(self, sync_id: UUID) -> Sync | None:
        return self.rows.get(sync_id)

    async def in_workspace(self, workspace_id, sync_id, *, for_update=False) -> Sync | None:
        row = self.rows.get(sync_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def last_of(self, workspace_id: UUID, plugin: str) -> Sync | None:
        mine = [
            r for r in self.rows.values() if (r.workspace_id, r.plugin) == (workspace_id, plugin)
        ]
        return max(mine, key=lambda r: (r.created_at, r.id), default=None)

    async def upload(self, sync_id: UUID) -> bytes | None:
        return self.uploads.get(sync_id)

    async def claim(self, sync_id: UUID, worker_id: str, lease_until: datetime) -> Sync | None:
        row = self.rows.get(sync_id)
        if row is None or row.status != SyncStatus.PENDING or row.cancel_requested_at:
            return None
        row.status, row.worker_id, row.lease_until = (
            SyncStatus.RUNNING.value,
            worker_id,
            lease_until,
        )
        row.started_at = row.started_at or utcnow()
        row.attempts += 1
        return row

    async def reclaim(self, sync, worker_id, lease_until, now) -> Sync | None:
        row = self.rows.get(sync.id)
        if row is None or row.status != SyncStatus.RUNNING or row.worker_id != sync.worker_id:
            return None
        if row.lease_until is not None and row.lease_until >= now:
            return None
        row.worker_id, row.lease_until = worker_id, lease_until
        row.attempts += 1
        return row

    async def expired(self, now: datetime) -> list[Sync]:
        return [
            r
            for r in self.rows.values()
            if r.status == SyncStatus.RUNNING and (r.lease_until is None or r.lease_until < now)
        ]

    async def waiting_since(self, before: datetime) -> list[UUID]:
        return [
            r.id
            for r in self.rows.values()
            if r.status == SyncStatus.PENDING and r.created_at < before
        ]

    def _held(self, sync_id: UUID, worker_id: str | None) -> Sync | None:
        row = self.rows.get(sync_id)
        if row is None or row.status != SyncStatus.RUNNING or row.worker_id != worker_id:
            return None
        return row

    async def renew(self, sync_id: UUID, worker_id: str, lease_until: datetime) -> bool:
        row = self._held(sync_id, worker_id)
        if row is not None:
            row.lease_until = lease_until
        return row is not None

    async def cancel_requested(self, sync_id: UUID) -> bool:
        return self.rows[sync_id].cancel_requested_at is not None

    async def cancel_requested_by(self, sync_id: UUID) -> str | None:
        return self.rows[sync_id].cancel_requested_by

    async def record_counts(self, sync_id, worker_id, counts, lease_until) -> bool:
        row = self._held(sync_id, worker_id)
        if row is None:
            return False
        for key, value in counts.items():
            setattr(row, f"records_{key}", value)
        row.lease_until = lease_until
        return True

    async def finish(self, sync_id, worker_id, status, **values: Any) -> bool:
        row = self._held(sync_id, worker_id) if worker_id else self.rows.get(sync_id)
        if row is None or row.status not in ACTIVE:
            return False
        row.status, row.completed_at = SyncStatus(status).value, utcnow()
        for key, value in values.items():
            setattr(row, "details" if key == "details" else key, value)
        self.uploads.pop(sync_id, None)
        return True


class FakeImports:
    def __init__(self) -> None:
        self.records: dict[tuple[UUID, str, str], Known] = {}
        self.cursors: dict[tuple[UUID, str], dict[str, Any]] = {}

    async def known(self, workspace_id, plugin, external_ids) -> dict[str, Known]:
        return {
            e: self.records[(workspace_id, plugin, e)]
            for e in set(external_ids)
            if (workspace_id, plugin, e) in self.records
        }

    async def add(self, workspace_id, plugin, sync_id, records, now) -> None:
        for external_id, print_, content in records:
            assert (workspace_id, plugin, external_id) not in self.records, "a unique key"
            self.records[(workspace_id, plugin, external_id)] = Known(print_, content)

    async def change(self, workspace_id, plugin, external_id, print_, content, now) -> None:
        self.records[(workspace_id, plugin, external_id)] = Known(print_, content)

    async def cursor(self, workspace_id, plugin) -> dict[str, Any]:
        return dict(self.cursors.get((workspace_id, plugin), {}))

    async def save_cursor(self, workspace_id, plugin, state) -> None:
        self.cursors[(workspace_id, plugin)] = dict(state)


class FakeConfigs:
    def __init__(self) -> None:
        self.rows: dict[tuple[UUID, str], PluginConfig] = {}

    async def get(self, workspace_id: UUID, plugin: str) -> PluginConfig | None:
        return self.rows.get((workspace_id, plugin))

    def add(self, row: PluginConfig) -> None:
        self.rows[(row.workspace_id, row.plugin)] = row

    async def with_credentials(self) -> list[PluginConfig]:
        return [r for r in self.rows.values() if r.credentials_ciphertext]


class FakeStore:
    """One in-memory database; ``begin()`` opens a unit of work on it (no rollback)."""

    session = None

    def __init__(self) -> None:
        self.syncs = FakeSyncs()
        self.imports = FakeImports()
        self.configs = FakeConfigs()
        self.after: list[Any] = []

    def after_commit(self, action: Any) -> None:
        self.after.append(action)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator["FakeStore"]:
        yield self
        actions, self.after = self.after, []
        for action in actions:
            action()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()
