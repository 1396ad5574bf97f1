"""GET /api/v1/audit-events/export: a filtered range of the trail as JSON Lines or CSV.

The file is streamed while the trail is read in batches (``app/audit_events.py``).

CSV files are opened in spreadsheets, and the trail holds text other people chose (a display
name, a plugin's name, a correlation id), so every cell goes through the kit's
``spreadsheet_cells.neutralized``: no text cell starts a formula. Numbers are written as
numbers (``seq``, ``event_version``). JSON Lines are data for programs and are exported
unchanged.
"""

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from kasa_audit.api.audit_entry import AuditEntryOut, Filters
from kasa_audit.app import audit_events
from kasa_audit.db.entries import AuditFilters, Entries
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.service import Db
from kasa_servicekit.spreadsheet_cells import neutralized

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])

CSV_COLUMNS = (
    "id",
    "event_id",
    "seq",
    "occurred_at",
    "recorded_at",
    "event_type",
    "event_version",
    "service",
    "actor_type",
    "actor_id",
    "actor_name",
    "source_plugin",
    "source_plugin_version",
    "entity_type",
    "entity_id",
    "action",
    "changes",
    "correlation_id",
    "causation_id",
    "trace_id",
    "prev_hash",
    "hash",
)
"""One column per field; ``changes`` holds its JSON object."""

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


async def _entries(
    entries: Entries, workspace_id: UUID, filters: AuditFilters
) -> AsyncIterator[list[AuditEntryOut]]:
    async for rows in audit_events.batches(entries, workspace_id, filters):
        yield [AuditEntryOut.of(r) for r in rows]


def _csv_row(entry: AuditEntryOut) -> list[object]:
    data = entry.model_dump(mode="json")
    data |= {
        "actor_type": entry.actor.type,
        "actor_id": entry.actor.id,
        "actor_name": entry.actor.name,
        "source_plugin": entry.source.get("plugin"),
        "source_plugin_version": entry.source.get("plugin_version"),
        "changes": json.dumps(data["changes"], ensure_ascii=False, sort_keys=True),
    }
    return ["" if data[c] is None else neutralized(data[c]) for c in CSV_COLUMNS]


async def _first_read(
    batches: AsyncIterator[list[AuditEntryOut]],
) -> AsyncIterator[list[AuditEntryOut]]:
    """``batches`` with the first one read now, before the answer starts: a filter the
    database refuses is then a problem answer, not a file cut off after its headers."""
    first = await anext(batches)

    async def replayed() -> AsyncIterator[list[AuditEntryOut]]:
        yield first
        async for batch in batches:
            yield batch

    return replayed()


async def _jsonl(batches: AsyncIterator[list[AuditEntryOut]]) -> AsyncIterator[str]:
    async for batch in batches:
        if batch:
            yield "".join(entry.model_dump_json() + "\n" for entry in batch)


async def _csv(batches: AsyncIterator[list[AuditEntryOut]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    async for batch in batches:
        writer.writerows(_csv_row(entry) for entry in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@router.get("/export", response_class=StreamingResponse)
async def export_audit_events(
    principal: CurrentPrincipal,
    db: Db,
    filters: Filters,
    format: Literal["jsonl", "csv"] = "jsonl",
) -> StreamingResponse:
    batches = await _first_read(_entries(Entries(db), principal.workspace_id, filters))
    content = _csv(batches) if format == "csv" else _jsonl(batches)
    return StreamingResponse(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="audit-events.{format}"'},
    )
