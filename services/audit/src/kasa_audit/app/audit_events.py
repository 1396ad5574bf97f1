"""Reading a workspace's trail: a page for the list, one entry, every match in batches for
the export.

The export reads in keyset batches, newest first like the list, so an export of years of
history neither loads it into memory nor repeats or skips entries that arrive meanwhile
(they are newer than the first batch and are left out).
"""

from collections.abc import AsyncIterator, Sequence
from uuid import UUID

from kasa_audit.db.entries import AuditFilters, Entries
from kasa_audit.db.tables import AuditEntry

EXPORT_BATCH = 1000


async def page(
    entries: Entries, workspace_id: UUID, filters: AuditFilters, limit: int, cursor: str | None
) -> tuple[Sequence[AuditEntry], str | None]:
    """One page of matching entries and the cursor of the next."""
    return await entries.page(workspace_id, filters, limit, cursor)


async def entry(entries: Entries, workspace_id: UUID, entry_id: UUID) -> AuditEntry | None:
    """One entry of the workspace's trail, or none (also for another workspace's)."""
    return await entries.get(workspace_id, entry_id)


async def batches(
    entries: Entries, workspace_id: UUID, filters: AuditFilters, size: int = EXPORT_BATCH
) -> AsyncIterator[Sequence[AuditEntry]]:
    """Every matching entry, a batch at a time; the first batch comes even when empty."""
    cursor: str | None = None
    while True:
        rows, cursor = await entries.page(workspace_id, filters, size, cursor)
        yield rows
        if cursor is None:
            return
