"""Reading a workspace's syncs: one, or a page of its history."""

from collections.abc import Sequence
from uuid import UUID

from kasa_integrations.db.tables import Sync
from kasa_integrations.db.unit_of_work import UnitOfWork
from kasa_integrations.domain.errors import SyncNotFound


async def sync_of(uow: UnitOfWork, workspace_id: UUID, sync_id: UUID) -> Sync:
    sync = await uow.syncs.in_workspace(workspace_id, sync_id)
    if sync is None:
        raise SyncNotFound()
    return sync


async def history(
    uow: UnitOfWork,
    workspace_id: UUID,
    *,
    plugin: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Sync], str | None]:
    """The newest syncs first, optionally of one plugin or in one status."""
    return await uow.syncs.page(
        workspace_id, plugin=plugin, status=status, limit=limit, cursor=cursor
    )
