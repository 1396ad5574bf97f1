"""Sync runs: request one for a plugin, follow it, cancel it, read the history."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, status

from kasa_integrations.api.dependencies import Begin, Plugins, plugin_named
from kasa_integrations.api.sync_models import SyncAccepted, SyncOut, SyncRequest
from kasa_integrations.app import sync_history, sync_requests
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1", tags=["syncs"])


@router.post(
    "/plugins/{plugin_name}/syncs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncAccepted,
)
async def start_sync(
    plugin_name: str,
    principal: MemberPrincipal,
    begin: Begin,
    events: Events,
    plugins: Plugins,
    body: Annotated[SyncRequest | None, Body()] = None,
) -> SyncAccepted:
    plugin = plugin_named(plugins, plugin_name)
    params = (body or SyncRequest()).model_dump(mode="json", exclude_none=True)
    async with begin() as uow:
        sync = await sync_requests.request_sync(uow, events, plugin, principal, params)
    return SyncAccepted(id=sync.id, status=sync.status)


@router.post("/syncs/{sync_id}/cancel", response_model=SyncOut)
async def cancel(
    sync_id: UUID, principal: MemberPrincipal, begin: Begin, events: Events
) -> SyncOut:
    """Cancel a pending or running sync; what it committed before stays imported."""
    return SyncOut.of(await sync_requests.cancel_sync(begin, events, principal, sync_id))


@router.get("/syncs", response_model=Page[SyncOut])
async def list_syncs(
    principal: CurrentPrincipal,
    begin: Begin,
    limit: Limit = 50,
    cursor: Cursor = None,
    plugin: str | None = None,
    status: str | None = None,
) -> Page[SyncOut]:
    async with begin() as uow:
        rows, next_cursor = await sync_history.history(
            uow, principal.workspace_id, plugin=plugin, status=status, limit=limit, cursor=cursor
        )
    return Page(items=[SyncOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/syncs/{sync_id}", response_model=SyncOut)
async def get_sync(sync_id: UUID, principal: CurrentPrincipal, begin: Begin) -> SyncOut:
    async with begin() as uow:
        return SyncOut.of(await sync_history.sync_of(uow, principal.workspace_id, sync_id))
