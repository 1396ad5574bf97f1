"""Sync rows: the queue of runs, their claims and leases, counters, outcomes and uploads.

Every change a worker makes to a running run is conditional on the run still being claimed
by that worker (``worker_id``) and running: a worker whose lease was taken over changes
nothing, so two workers can never both commit a run's pages or its outcome.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_integrations.db.tables import Sync, SyncUpload
from kasa_integrations.domain.sync_status import ACTIVE, SyncStatus
from kasa_servicekit.db import utcnow
from kasa_servicekit.pagination import keyset_page


class DuplicateActiveSync(Exception):
    """The database refused a second active run of a plugin in a workspace."""


class SyncRuns:
    """The ``syncs`` table in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- requests and reads -------------------------------------------------------------

    async def active(self, workspace_id: UUID, plugin: str) -> UUID | None:
        return await self.session.scalar(
            select(Sync.id).where(
                Sync.workspace_id == workspace_id,
                Sync.plugin == plugin,
                Sync.status.in_(ACTIVE),
            )
        )

    async def add(self, sync: Sync, upload: bytes | None = None) -> None:
        """Insert a requested run; ``DuplicateActiveSync`` when one is active already."""
        self.session.add(sync)
        try:
            await self.session.flush()
        except IntegrityError:
            raise DuplicateActiveSync() from None
        if upload is not None:
            self.session.add(SyncUpload(sync_id=sync.id, content=upload))

    async def get(self, sync_id: UUID) -> Sync | None:
        return await self.session.get(Sync, sync_id, populate_existing=True)

    async def in_workspace(
        self, workspace_id: UUID, sync_id: UUID, *, for_update: bool = False
    ) -> Sync | None:
        stmt = select(Sync).where(Sync.id == sync_id, Sync.workspace_id == workspace_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def last_of(self, workspace_id: UUID, plugin: str) -> Sync | None:
        return await self.session.scalar(
            select(Sync)
            .where(Sync.workspace_id == workspace_id, Sync.plugin == plugin)
            .order_by(Sync.created_at.desc(), Sync.id.desc())
            .limit(1)
        )

    async def page(
        self,
        workspace_id: UUID,
        *,
        plugin: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[Sequence[Sync], str | None]:
        stmt: Select[tuple[Sync]] = select(Sync).where(Sync.workspace_id == workspace_id)
        if plugin:
            stmt = stmt.where(Sync.plugin == plugin)
        if status:
            stmt = stmt.where(Sync.status == status)
        return await keyset_page(
            self.session, stmt, [Sync.created_at, Sync.id], limit=limit, cursor=cursor
        )

    async def upload(self, sync_id: UUID) -> bytes | None:
        return await self.session.scalar(
            select(SyncUpload.content).where(SyncUpload.sync_id == sync_id)
        )

    # --- claims and leases --------------------------------------------------------------

    async def claim(self, sync_id: UUID, worker_id: str, lease_until: datetime) -> Sync | None:
        """Take a queued run for ``worker_id``; None when it is not queued any more."""
        now = utcnow()
        claimed = await self.session.execute(
            update(Sync)
            .where(
                Sync.id == sync_id,
                Sync.status == SyncStatus.PENDING,
                Sync.cancel_requested_at.is_(None),
            )
            .values(
                status=SyncStatus.RUNNING,
                worker_id=worker_id,
                lease_until=lease_until,
                heartbeat_at=now,
                started_at=func.coalesce(Sync.started_at, now),
                attempts=Sync.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return await self.get(sync_id) if _changed(claimed) else None

    async def reclaim(
        self, sync: Sync, worker_id: str, lease_until: datetime, now: datetime
    ) -> Sync | None:
        """Take over a running run whose lease expired; None when another worker was first."""
        stmt = update(Sync).where(
            Sync.id == sync.id,
            Sync.status == SyncStatus.RUNNING,
            or_(Sync.lease_until.is_(None), Sync.lease_until < now),
        )
        stmt = stmt.where(
            Sync.worker_id.is_(None) if sync.worker_id is None else Sync.worker_id == sync.worker_id
        )
        taken = await self.session.execute(
            stmt.values(
                worker_id=worker_id,
                lease_until=lease_until,
                heartbeat_at=now,
                attempts=Sync.attempts + 1,
            ).execution_options(synchronize_session=False)
        )
        return await self.get(sync.id) if _changed(taken) else None

    async def renew(self, sync_id: UUID, worker_id: str, lease_until: datetime) -> bool:
        """Extend the lease of a run this worker holds; False when it holds it no more."""
        renewed = await self.session.execute(
            _held(sync_id, worker_id)
            .values(lease_until=lease_until, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return _changed(renewed)

    async def cancel_requested(self, sync_id: UUID) -> bool:
        requested = await self.session.scalar(
            select(Sync.cancel_requested_at).where(Sync.id == sync_id)
        )
        return requested is not None

    async def cancel_requested_by(self, sync_id: UUID) -> str | None:
        return await self.session.scalar(select(Sync.cancel_requested_by).where(Sync.id == sync_id))

    async def record_counts(
        self, sync_id: UUID, worker_id: str, counts: dict[str, int], lease_until: datetime
    ) -> bool:
        """Store a page's counters, renewing the lease; False when the lease is lost.

        Called first in a page's transaction: on PostgreSQL it locks the run's row, so a
        takeover waits for the page to commit or roll back.
        """
        stored = await self.session.execute(
            _held(sync_id, worker_id)
            .values(
                heartbeat_at=utcnow(),
                lease_until=lease_until,
                **{f"records_{k}": v for k, v in counts.items()},
            )
            .execution_options(synchronize_session=False)
        )
        return _changed(stored)

    async def finish(
        self, sync_id: UUID, worker_id: str | None, status: SyncStatus, **values: Any
    ) -> bool:
        """Give a run its outcome; with a ``worker_id``, only while that worker holds it."""
        stmt = (
            _held(sync_id, worker_id)
            if worker_id is not None
            else update(Sync).where(Sync.id == sync_id, Sync.status.in_(ACTIVE))
        )
        done = await self.session.execute(
            stmt.values(
                status=status, completed_at=utcnow(), lease_until=None, **values
            ).execution_options(synchronize_session=False)
        )
        if _changed(done):
            await self.session.execute(delete(SyncUpload).where(SyncUpload.sync_id == sync_id))
            return True
        return False

    # --- what the sweep looks at --------------------------------------------------------

    async def expired(self, now: datetime) -> Sequence[Sync]:
        """Running runs whose worker stopped renewing its lease (rows locked, others skip)."""
        return (
            await self.session.scalars(
                select(Sync)
                .where(
                    Sync.status == SyncStatus.RUNNING,
                    or_(Sync.lease_until.is_(None), Sync.lease_until < now),
                )
                .order_by(Sync.created_at)
                .with_for_update(skip_locked=True)
            )
        ).all()

    async def waiting_since(self, before: datetime) -> Sequence[UUID]:
        """Queued runs no worker has claimed since ``before`` (their request went unheard)."""
        return (
            await self.session.scalars(
                select(Sync.id)
                .where(Sync.status == SyncStatus.PENDING, Sync.created_at < before)
                .order_by(Sync.created_at)
            )
        ).all()


def _held(sync_id: UUID, worker_id: str) -> Any:
    return update(Sync).where(
        Sync.id == sync_id, Sync.worker_id == worker_id, Sync.status == SyncStatus.RUNNING
    )


def _changed(result: Any) -> bool:
    return bool(result.rowcount)
