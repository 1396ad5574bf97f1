"""GET /api/v1/audit-events/verify: does the caller's trail still hold together?"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from kasa_audit.app.verification import verify_workspace, verify_workspaces
from kasa_audit.db.chain import Chains
from kasa_audit.domain.chain import ChainWalk
from kasa_servicekit.auth import CurrentPrincipal
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

    @classmethod
    def of(cls, walk: ChainWalk) -> "Verification":
        broken = walk.broken
        return cls(
            ok=walk.ok,
            checked=walk.checked,
            first_broken=BrokenEntry(**vars(broken)) if broken else None,
        )


@router.get("/verify", response_model=Verification)
async def verify_audit_trail(principal: CurrentPrincipal, db: Db) -> Verification:
    return Verification.of(await verify_workspace(Chains(db), principal.workspace_id))


ops_router = APIRouter(prefix="/ops/audit", include_in_schema=False)


@ops_router.get("/verify")
async def verify_for_operators(
    db: Db, _: Operator, workspace_id: UUID | None = None
) -> dict[str, Any]:
    """``kasa audit verify``: one workspace, or every workspace that has a trail."""
    walks = await verify_workspaces(Chains(db), workspace_id)
    results = {str(w): Verification.of(walk) for w, walk in walks.items()}
    return {
        "ok": all(r.ok for r in results.values()),
        "checked": sum(r.checked for r in results.values()),
        "workspaces": {w: r.model_dump(mode="json") for w, r in results.items()},
    }
