"""POST /ops/audit/anchors/check: do published chain anchors still match the stored trail?

``kasa audit verify --anchors`` reads the anchors from the broker's archive stream, outside
audit's database, and sends them here; an anchor whose entry is gone or hashes differently
means the trail was rewritten after it was anchored.
"""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from kasa_audit.db.tables import AuditEntry
from kasa_servicekit.operations import Operator
from kasa_servicekit.service import Db

ops_router = APIRouter(prefix="/ops/audit/anchors", include_in_schema=False)


class Anchor(BaseModel):
    workspace_id: UUID
    seq: int
    hash: str


class AnchorsIn(BaseModel):
    anchors: list[Anchor] = Field(max_length=1000)


class AnchorCheck(BaseModel):
    workspace_id: UUID
    seq: int
    anchored_hash: str
    stored_hash: str | None
    entry_id: UUID | None
    event_id: UUID | None
    status: Literal["ok", "differs", "missing"]


class AnchorsOut(BaseModel):
    ok: bool
    checked: int
    failed: list[AnchorCheck]
    """Only the anchors that do not match, in the order they were sent."""


@ops_router.post("/check", response_model=AnchorsOut)
async def check_anchors(body: AnchorsIn, db: Db, _: Operator) -> AnchorsOut:
    failed = []
    async with db.sessions() as session:
        for anchor in body.anchors:
            entry = (
                await session.execute(
                    select(AuditEntry.id, AuditEntry.event_id, AuditEntry.hash).where(
                        AuditEntry.workspace_id == anchor.workspace_id,
                        AuditEntry.seq == anchor.seq,
                    )
                )
            ).first()
            if entry is not None and entry.hash == anchor.hash:
                continue
            failed.append(
                AnchorCheck(
                    workspace_id=anchor.workspace_id,
                    seq=anchor.seq,
                    anchored_hash=anchor.hash,
                    stored_hash=entry.hash if entry else None,
                    entry_id=entry.id if entry else None,
                    event_id=entry.event_id if entry else None,
                    status="differs" if entry else "missing",
                )
            )
    return AnchorsOut(ok=not failed, checked=len(body.anchors), failed=failed)
