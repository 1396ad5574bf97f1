"""Workspaces the caller belongs to, creating one, and managing a workspace's members."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from kasa_gateway.api.deps import Settings, Store
from kasa_gateway.app import workspaces
from kasa_gateway.db.tables import Membership, User
from kasa_servicekit.auth import MIN_ROLE, AdminPrincipal, CurrentPrincipal, ViewerPrincipal
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1", tags=["workspaces"])

Role = Literal["owner", "admin", "member", "viewer"]


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    role: Role


class WorkspaceList(BaseModel):
    items: list[WorkspaceOut]
    next_cursor: str | None = None


class WorkspaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class MemberOut(BaseModel):
    user_id: UUID
    email: str
    name: str
    role: Role
    joined_at: datetime


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


@router.get("/workspaces", response_model=WorkspaceList)
async def list_workspaces(principal: CurrentPrincipal, store: Store) -> WorkspaceList:
    """Every workspace the caller is a member of; ``POST /auth/switch`` acts in another."""
    rows = await workspaces.workspaces_of(store, principal)
    return WorkspaceList(items=[WorkspaceOut(id=w.id, name=w.name, role=role) for w, role in rows])


@router.post("/workspaces", status_code=status.HTTP_201_CREATED, response_model=WorkspaceOut)
async def create_workspace(
    body: WorkspaceIn, principal: ViewerPrincipal, store: Store, events: Events
) -> WorkspaceOut:
    """A new workspace owned by the caller."""
    workspace = await workspaces.create_workspace(store, events, principal, body.name)
    return WorkspaceOut(id=workspace.id, name=workspace.name, role="owner")


@router.get("/members", response_model=MemberList)
async def list_members(principal: CurrentPrincipal, store: Store) -> MemberList:
    """The members of the caller's current workspace."""
    rows = await workspaces.members(store, principal)
    return MemberList(items=[_member(m, u) for m, u in rows])


def _member(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        joined_at=membership.created_at,
    )


@router.patch("/members/{user_id}", response_model=MemberOut)
async def change_role(
    user_id: UUID,
    body: MemberPatch,
    principal: AdminPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
) -> MemberOut:
    """Change a member's role (owners and admins; only owners touch owners). The member's
    sessions in this workspace end: they sign in again to act with the new role."""
    user, membership = await workspaces.change_role(
        store, events, principal, user_id, body.role, settings=settings
    )
    return _member(membership, user)


# Leaving is open to every role, so the role is checked by the use case, not a dependency.
@router.delete(
    "/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={MIN_ROLE: "admin"},
)
async def remove_member(
    user_id: UUID, principal: CurrentPrincipal, store: Store, events: Events, settings: Settings
) -> Response:
    """Remove a member (owners and admins), or leave the workspace yourself; their sessions
    in this workspace end."""
    await workspaces.remove_member(store, events, principal, user_id, settings=settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
