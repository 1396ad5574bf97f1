"""GET /api/v1/audit-events/verify: does the caller's trail still hold together?"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from kasa_audit.db.chain import entries_in_order, head_of
from kasa_audit.db.tables import ChainHead
from kasa_audit.domain.chain import GENESIS, ChainWalk
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.db import Database
from kasa_servicekit.operations import Operator
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


class BrokenEntry(BaseModel):
    seq: int
    reason: str
    id: UUID | None
    event_id: UUID | None


class Verification(BaseModel):
    """The result of walking the workspace's hash chain from its first entry."""

    ok: bool
    checked: int
    first_broken: BrokenEntry | None


async def verify_workspace(db: Database, workspace_id: UUID) -> Verification:
    """Walk one workspace's chain from its first entry to its recorded head."""
    walk = ChainWalk()
    async for row in entries_in_order(db, workspace_id):
        if not walk.step(row, row["prev_hash"], row["hash"]):
            break
    head = await head_of(db, workspace_id)
    walk.finish(head.seq if head else 0, head.hash if head else GENESIS)
    broken = walk.broken
    return Verification(
        ok=walk.ok,
        checked=walk.checked,
        first_broken=BrokenEntry(**vars(broken)) if broken else None,
    )


@router.get("/verify", response_model=Verification)
async def verify_audit_trail(principal: CurrentPrincipal, db: Db) -> Verification:
    return await verify_workspace(db, principal.workspace_id)


ops_router = APIRouter(prefix="/ops/audit", include_in_schema=False)


@ops_router.get("/verify")
async def verify_for_operators(
    db: Db, _: Operator, workspace_id: UUID | None = None
) -> dict[str, Any]:
    """``kasa audit verify``: one workspace, or every workspace that has a trail."""
    if workspace_id:
        workspaces = [workspace_id]
    else:
        async with db.sessions() as session:
            workspaces = list(await session.scalars(select(ChainHead.workspace_id)))
    results = {str(w): await verify_workspace(db, w) for w in workspaces}
    return {
        "ok": all(r.ok for r in results.values()),
        "checked": sum(r.checked for r in results.values()),
        "workspaces": {w: r.model_dump(mode="json") for w, r in results.items()},
    }
