"""GET /api/v1/audit-events: the workspace's trail, newest first, filtered; and one entry."""

from uuid import UUID

from fastapi import APIRouter

from kasa_audit.api.audit_entry import AuditEntryOut, Filters
from kasa_audit.app import audit_events
from kasa_audit.db.entries import Entries
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit_events(
    principal: CurrentPrincipal,
    db: Db,
    filters: Filters,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    rows, next_cursor = await audit_events.page(
        Entries(db), principal.workspace_id, filters, limit, cursor
    )
    return Page(items=[AuditEntryOut.of(r) for r in rows], next_cursor=next_cursor)


# Registered after ``/verify``, ``/export`` and ``/anchors``, which this path would shadow.
@router.get(
    "/{entry_id}",
    response_model=AuditEntryOut,
    responses={404: {"description": "No entry of this workspace has this id"}},
)
async def get_audit_event(entry_id: UUID, principal: CurrentPrincipal, db: Db) -> AuditEntryOut:
    """One entry: its before and after values, actor, source and place in the chain."""
    found = await audit_events.entry(Entries(db), principal.workspace_id, entry_id)
    if found is None:
        raise not_found("audit event")
    return AuditEntryOut.of(found)
