"""GET /internal/archive: the stored envelopes, in publish order, exactly as published.

For operators' replay tooling, not for users: it is not scoped to a workspace, the gateway
never routes ``/internal`` (only ``/api/v1/<resource>`` and ``/portal``), and it must not be
exposed publicly. When ``OPS_TOKEN`` is set it also requires that token as a bearer token.

Each line is ``{"routing_key": …, "body": …}`` with ``body`` the message text byte for byte.
Lines come in ``(occurred_at, event_id)`` order; when more remain, the ``X-Next-Cursor``
header holds the ``after`` value for the next page.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from kasa_audit.db.archive import archive_page, archived_events
from kasa_servicekit.operations import require_operator
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

NEXT_CURSOR = "X-Next-Cursor"


router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[Depends(require_operator)])


def encode_cursor(occurred_at: datetime, event_id: UUID) -> str:
    raw = json.dumps([occurred_at.isoformat(), str(event_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        occurred_at, event_id = json.loads(raw)
        when = datetime.fromisoformat(occurred_at)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when, UUID(event_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ProblemError(400, "Bad Request", "the cursor is not valid") from exc


@router.get("/archive", response_class=Response)
async def read_archive(
    db: Db,
    since: datetime | None = None,
    until: datetime | None = None,
    event_type: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    workspace_id: UUID | None = None,
    after: Annotated[str | None, Query(description="X-Next-Cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    stmt = archived_events(since, until, event_type, workspace_id)
    rows, more = await archive_page(db, stmt, decode_cursor(after) if after else None, limit)
    next_cursor = encode_cursor(rows[-1].occurred_at, rows[-1].event_id) if more else None
    lines = "".join(
        json.dumps({"routing_key": r.routing_key, "body": r.body}, ensure_ascii=False) + "\n"
        for r in rows
    )
    headers = {NEXT_CURSOR: next_cursor} if next_cursor else {}
    return Response(lines, media_type="application/x-ndjson", headers=headers)
