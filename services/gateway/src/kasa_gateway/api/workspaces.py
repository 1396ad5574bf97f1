"""Workspaces the caller belongs to, creating one, and managing a workspace's members."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.identity import MemberRemoved, MemberUpdated, WorkspaceCreated
from kasa_gateway.api.memberships import identity_event, manager_membership
from kasa_gateway.db.tables import Membership, RefreshToken, User, WebSession, Workspace
from kasa_gateway.domain.roles import can_assign
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events
from kasa_servicekit.problems import ProblemError, not_found
from kasa_servicekit.service import Db

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
async def list_workspaces(principal: CurrentPrincipal, db: Db) -> WorkspaceList:
    """Every workspace the caller is a member of; ``POST /auth/switch`` acts in another."""
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Workspace, Membership.role)
                .join(Membership, Membership.workspace_id == Workspace.id)
                .where(Membership.user_id == principal.user_id)
                .order_by(Membership.created_at)
            )
        ).all()
    return WorkspaceList(items=[WorkspaceOut(id=w.id, name=w.name, role=role) for w, role in rows])


@router.post("/workspaces", status_code=status.HTTP_201_CREATED, response_model=WorkspaceOut)
async def create_workspace(body: WorkspaceIn, principal: CurrentPrincipal, db: Db) -> WorkspaceOut:
    """A new workspace owned by the caller."""
    now = utcnow()
    workspace = Workspace(id=new_id(), name=body.name, created_at=now)
    async with db.transaction() as session:
        if await session.get(User, principal.user_id) is None:
            raise ProblemError(401, "Unauthorized", "the account no longer exists")
        session.add(workspace)
        await session.flush()
        session.add(
            Membership(
                user_id=principal.user_id, workspace_id=workspace.id, role="owner", created_at=now
            )
        )
        event = WorkspaceCreated(
            workspace_id=workspace.id, name=workspace.name, owner_id=principal.user_id
        )
        await add_events(session, [identity_event(event, principal, workspace.id)])
    return WorkspaceOut(id=workspace.id, name=workspace.name, role="owner")


@router.get("/members", response_model=MemberList)
async def list_members(principal: CurrentPrincipal, db: Db) -> MemberList:
    """The members of the caller's current workspace."""
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.workspace_id == principal.workspace_id)
                .order_by(Membership.created_at)
            )
        ).all()
    return MemberList(
        items=[
            MemberOut(
                user_id=u.id,
                email=u.email,
                name=u.name,
                role=m.role,
                joined_at=m.created_at,
            )
            for m, u in rows
        ]
    )


async def _owners(session: AsyncSession, workspace_id: UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == "owner")
        )
        or 0
    )


@router.patch("/members/{user_id}", response_model=MemberOut)
async def change_role(
    user_id: UUID, body: MemberPatch, principal: CurrentPrincipal, db: Db
) -> MemberOut:
    """Change a member's role (owners and admins; only owners touch owners)."""
    async with db.transaction() as session:
        me = await manager_membership(session, principal)
        target = await session.get(Membership, (user_id, principal.workspace_id))
        user = await session.get(User, user_id)
        if target is None or user is None:
            raise not_found("member")
        if not can_assign(me.role, target.role, body.role):
            raise ProblemError(403, "Forbidden", "only owners manage owners")
        if (
            target.role == "owner"
            and body.role != "owner"
            and await _owners(session, target.workspace_id) == 1
        ):
            raise ProblemError(409, "Conflict", "a workspace keeps at least one owner")
        changes = diff({"role": target.role}, {"role": body.role})
        target.role = body.role
        if changes:
            await add_events(
                session,
                [identity_event(MemberUpdated(user_id=user_id, changes=changes), principal)],
            )
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=body.role,
        joined_at=target.created_at,
    )


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(user_id: UUID, principal: CurrentPrincipal, db: Db) -> Response:
    """Remove a member (owners and admins), or leave the workspace yourself."""
    async with db.transaction() as session:
        target = await session.get(Membership, (user_id, principal.workspace_id))
        if user_id != principal.user_id:
            me = await manager_membership(session, principal)
            if target is None:
                raise not_found("member")
            if not can_assign(me.role, target.role):
                raise ProblemError(403, "Forbidden", "only owners manage owners")
        elif target is None:
            raise not_found("member")
        if target.role == "owner" and await _owners(session, target.workspace_id) == 1:
            raise ProblemError(409, "Conflict", "a workspace keeps at least one owner")
        role = target.role
        await session.delete(target)
        # Their sessions in this workspace end now; access tokens already out expire soon.
        now = utcnow()
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.user_id == user_id,
                RefreshToken.workspace_id == principal.workspace_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        await session.execute(
            update(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.workspace_id == principal.workspace_id,
                WebSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        await add_events(
            session, [identity_event(MemberRemoved(user_id=user_id, role=role), principal)]
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
