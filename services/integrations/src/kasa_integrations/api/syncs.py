"""Sync runs: start one for a plugin, follow it, read the history."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from kasa_integrations.db.tables import Sync
from kasa_integrations.dependencies import Plugins, plugin_named
from kasa_integrations.sync_engine import SyncRun, cancel_sync, request_sync
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import Db, get_runtime

router = APIRouter(prefix="/api/v1", tags=["syncs"])


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(
        default=None, ge=1, le=1_000_000, description="How many transactions the demo bank makes"
    )
    date_from: date | None = Field(
        default=None, description="First booking date to read (default: the plugin's cursor)"
    )
    date_to: date | None = Field(default=None, description="Last booking date (default: today)")

    @model_validator(mode="after")
    def _window_in_order(self) -> "SyncRequest":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class SyncAccepted(BaseModel):
    id: UUID
    status: str


class SyncOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    plugin: str
    plugin_version: str
    status: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_s: float | None
    records_processed: int
    records_created: int
    records_updated: int
    records_skipped: int
    error_message: str | None
    error_backtrace: str | None
    cancel_requested: bool
    metadata: dict[str, Any]

    @classmethod
    def of(cls, sync: Sync) -> "SyncOut":
        duration = (
            (sync.completed_at - sync.started_at).total_seconds()
            if sync.completed_at and sync.started_at
            else None
        )
        return cls.model_validate(
            {
                **{c: getattr(sync, c) for c in _COLUMNS},
                "duration_s": duration,
                "cancel_requested": sync.cancel_requested_at is not None,
                "metadata": sync.details or {},
            }
        )


_COLUMNS = [
    name
    for name in SyncOut.model_fields
    if name not in ("duration_s", "metadata", "cancel_requested")
]


@router.post(
    "/plugins/{plugin_name}/syncs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncAccepted,
)
async def start_sync(
    plugin_name: str,
    principal: WritingPrincipal,
    db: Db,
    request: Request,
    plugins: Plugins,
    body: Annotated[SyncRequest | None, Body()] = None,
) -> SyncAccepted:
    plugin = plugin_named(plugins, plugin_name)
    params = (body or SyncRequest()).model_dump(mode="json", exclude_none=True)
    sync = await request_sync(
        db,
        plugin,
        principal.workspace_id,
        str(principal.user_id),
        params,
        requester=principal.actor,
    )
    start_run(request, SyncRun(db, plugin, sync, request.app.state.vault, **run_options(request)))
    return SyncAccepted(id=sync.id, status=sync.status)


def run_options(request: Request) -> dict[str, Any]:
    # Tests point plugins at a local provider through an injected HTTP transport.
    transport = getattr(request.app.state, "http_transport", None)
    return {"transport": transport} if transport else {}


def start_run(request: Request, run: SyncRun) -> None:
    get_runtime(request).spawn(run.run(), f"sync-{run.sync.id}")


@router.post("/syncs/{sync_id}/cancel", response_model=SyncOut)
async def cancel(sync_id: UUID, principal: WritingPrincipal, db: Db) -> SyncOut:
    """Cancel a pending or running sync; what it committed before stays imported."""
    sync = await cancel_sync(db, principal.workspace_id, sync_id, principal.actor)
    if sync is None:
        raise not_found("sync")
    return SyncOut.of(sync)


@router.get("/syncs", response_model=Page[SyncOut])
async def list_syncs(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 50,
    cursor: Cursor = None,
    plugin: str | None = None,
    status: str | None = None,
) -> Page[SyncOut]:
    stmt = select(Sync).where(Sync.workspace_id == principal.workspace_id)
    if plugin:
        stmt = stmt.where(Sync.plugin == plugin)
    if status:
        stmt = stmt.where(Sync.status == status)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Sync.created_at, Sync.id], limit=limit, cursor=cursor
        )
    return Page(items=[SyncOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/syncs/{sync_id}", response_model=SyncOut)
async def get_sync(sync_id: UUID, principal: CurrentPrincipal, db: Db) -> SyncOut:
    async with db.sessions() as session:
        sync = await session.scalar(
            select(Sync).where(Sync.id == sync_id, Sync.workspace_id == principal.workspace_id)
        )
    if sync is None:
        raise not_found("sync")
    return SyncOut.of(sync)
