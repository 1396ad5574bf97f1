"""Inviting people to a workspace by email, and accepting an invitation.

No mail is sent: the answer carries the link for the inviter to pass on. The token in it is
kept only as a hash; it works once, for the invited email, until it expires.
"""

import secrets
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import select

from kasa_contracts.events.identity import InvitationRevoked, MemberAdded, MemberInvited
from kasa_gateway.api.deps import Settings
from kasa_gateway.api.memberships import identity_event, manager_membership
from kasa_gateway.db.tables import Invitation, Membership, User, Workspace
from kasa_gateway.domain.roles import can_assign
from kasa_gateway.sessions import secret_hash
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events
from kasa_servicekit.problems import ProblemError, not_found
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/invitations", tags=["workspaces"])

Role = Literal["owner", "admin", "member", "viewer"]


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: Role = "member"


class InvitationOut(BaseModel):
    id: UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class CreatedInvitationOut(InvitationOut):
    token: str
    """Shown once; the invited person presents it to ``POST /api/v1/invitations/accept``."""
    url: str


class InvitationList(BaseModel):
    items: list[InvitationOut]
    next_cursor: str | None = None


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class AcceptedOut(BaseModel):
    workspace_id: UUID
    workspace_name: str
    role: Role


def _out(invitation: Invitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        expires_at=invitation.expires_at,
        created_at=invitation.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedInvitationOut)
async def invite(
    body: InvitationIn, principal: CurrentPrincipal, db: Db, settings: Settings
) -> CreatedInvitationOut:
    """Invite an email address to the current workspace (owners and admins)."""
    email = body.email.lower()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with db.transaction() as session:
        me = await manager_membership(session, principal)
        if not can_assign(me.role, body.role, body.role):
            raise ProblemError(403, "Forbidden", "only owners invite owners")
        already = await session.scalar(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.workspace_id == principal.workspace_id, User.email == email)
        )
        if already:
            raise ProblemError(409, "Conflict", "this person is already a member")
        invitation = Invitation(
            id=new_id(),
            workspace_id=principal.workspace_id,
            email=email,
            role=body.role,
            token_hash=secret_hash(token),
            invited_by=principal.user_id,
            expires_at=now + timedelta(days=settings.invitation_days),
            created_at=now,
        )
        session.add(invitation)
        event = MemberInvited(invitation_id=invitation.id, email=email, role=body.role)
        await add_events(session, [identity_event(event, principal)])
    return CreatedInvitationOut(
        **_out(invitation).model_dump(),
        token=token,
        url=f"{settings.public_url.rstrip('/')}/invitations/accept#token={token}",
    )


@router.get("", response_model=InvitationList)
async def pending(principal: CurrentPrincipal, db: Db) -> InvitationList:
    """Invitations of the current workspace not yet accepted, revoked or expired."""
    async with db.sessions() as session:
        await manager_membership(session, principal)
        rows = await session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == principal.workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at)
        )
        return InvitationList(items=[_out(i) for i in rows])


@router.delete("/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(invitation_id: UUID, principal: CurrentPrincipal, db: Db) -> Response:
    """Withdraw an invitation (owners and admins)."""
    async with db.transaction() as session:
        await manager_membership(session, principal)
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None or invitation.workspace_id != principal.workspace_id:
            raise not_found("invitation")
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = utcnow()
            event = InvitationRevoked(invitation_id=invitation.id, email=invitation.email)
            await add_events(session, [identity_event(event, principal)])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/accept", response_model=AcceptedOut)
async def accept(body: AcceptIn, principal: CurrentPrincipal, db: Db) -> AcceptedOut:
    """Join the workspace of an invitation made out to the caller's email.

    Then ``POST /api/v1/auth/switch`` gives tokens acting in it.
    """
    now = utcnow()
    async with db.transaction() as session:
        invitation = await session.scalar(
            select(Invitation).where(Invitation.token_hash == secret_hash(body.token))
        )
        user = await session.get(User, principal.user_id)
        # Every reason to refuse gets the same answer: the token is worth nothing to others.
        if (
            invitation is None
            or user is None
            or invitation.email != user.email
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= now
        ):
            raise not_found("invitation")
        workspace = await session.get(Workspace, invitation.workspace_id)
        assert workspace is not None
        invitation.accepted_at = now
        existing = await session.get(Membership, (user.id, invitation.workspace_id))
        if existing is None:
            session.add(
                Membership(
                    user_id=user.id,
                    workspace_id=invitation.workspace_id,
                    role=invitation.role,
                    created_at=now,
                )
            )
            event = MemberAdded(
                user_id=user.id,
                role=invitation.role,
                invitation_id=invitation.id,
            )
            await add_events(session, [identity_event(event, principal, invitation.workspace_id)])
        role = existing.role if existing else invitation.role
    return AcceptedOut(workspace_id=workspace.id, workspace_name=workspace.name, role=role)
