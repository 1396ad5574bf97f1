"""GET /api/v1/audit-events: the workspace's trail, newest first, filtered."""

from fastapi import APIRouter

from kasa_audit.api.audit_entry import AuditEntryOut, Filters
from kasa_audit.app import audit_events
from kasa_audit.db.entries import Entries
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.pagination import Cursor, Limit, Page
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
