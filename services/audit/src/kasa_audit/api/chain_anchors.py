"""The workspace's last chain anchor for users, and for operators whether published anchors
still match the stored trail.

GET /api/v1/audit-events/anchors/latest: the caller's chain head as last anchored.

POST /ops/audit/anchors/check: do published chain anchors still match the stored trail?

``kasa audit verify --anchors`` reads the anchors from the broker's archive stream, outside
audit's database, and sends them here; an anchor whose entry is gone or hashes differently
means the trail was rewritten after it was anchored.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kasa_audit.app import chain_anchors
from kasa_audit.app.verification import last_anchor
from kasa_audit.db.chain import Chains
from kasa_audit.domain import anchors
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.operations import Operator
from kasa_servicekit.problems import not_found
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/audit-events/anchors", tags=["audit"])
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
    sent = [anchors.Anchor(a.workspace_id, a.seq, a.hash) for a in body.anchors]
    failed = [
        AnchorCheck(
            workspace_id=m.anchor.workspace_id,
            seq=m.anchor.seq,
            anchored_hash=m.anchor.hash,
            stored_hash=m.stored.hash if m.stored else None,
            entry_id=m.stored.id if m.stored else None,
            event_id=m.stored.event_id if m.stored else None,
            status=m.status,
        )
        for m in await chain_anchors.check_anchors(Chains(db), sent)
    ]
    return AnchorsOut(ok=not failed, checked=len(body.anchors), failed=failed)


class LastAnchorOut(BaseModel):
    """The chain head last published outside audit's database (``audit.chain.anchored``)."""

    seq: int
    hash: str
    anchored_at: datetime
    holds: bool
    """Whether the trail still holds the entry at ``seq`` with the anchored hash."""


@router.get(
    "/latest",
    response_model=LastAnchorOut,
    responses={404: {"description": "The workspace's chain has not been anchored yet"}},
)
async def latest_anchor(principal: CurrentPrincipal, db: Db) -> LastAnchorOut:
    """Where the workspace's chain was last anchored, checked against the stored entry."""
    found = await last_anchor(Chains(db), principal.workspace_id)
    if found is None:
        raise not_found("anchor")
    return LastAnchorOut(**vars(found))
