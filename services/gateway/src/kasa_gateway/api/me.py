"""GET /api/v1/me: who the token belongs to and which workspace it acts in."""

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from kasa_gateway.db.tables import User, Workspace
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/me", tags=["me"])


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    role: str


class MeOut(BaseModel):
    id: UUID
    email: str
    name: str
    workspace: WorkspaceOut


@router.get("", response_model=MeOut)
async def me(principal: CurrentPrincipal, db: Db) -> MeOut:
    async with db.sessions() as session:
        user = await session.get(User, principal.user_id)
        workspace = await session.get(Workspace, principal.workspace_id)
    if user is None or workspace is None:
        raise ProblemError(401, "Unauthorized", "the account no longer exists")
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        workspace=WorkspaceOut(id=workspace.id, name=workspace.name, role=principal.role),
    )
