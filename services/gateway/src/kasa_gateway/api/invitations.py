"""``/api/v1/invitations``: invite by email, list, renew and withdraw pending invitations,
accept one.

The invited address gets a mail with the link; the answer carries it too, to pass on another
way.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kasa_gateway.api.deps import Settings, Store
from kasa_gateway.app import invitations
from kasa_gateway.db.tables import Invitation
from kasa_servicekit.auth import AdminPrincipal, CurrentPrincipal, ViewerPrincipal
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1/invitations", tags=["workspaces"])


async def invitation_mail(request: Request) -> invitations.InvitationMail:
    return request.app.state.invitation_mail


InvitationMailDep = Annotated[invitations.InvitationMail, Depends(invitation_mail)]

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
    body: InvitationIn,
    principal: AdminPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
    mail: InvitationMailDep,
) -> CreatedInvitationOut:
    """Invite an email address to the current workspace (owners and admins)."""
    invited = await invitations.invite(
        store, events, settings, mail, principal, body.email, body.role
    )
    return CreatedInvitationOut(
        **_out(invited.invitation).model_dump(), token=invited.token, url=invited.url
    )


@router.get("", response_model=InvitationList)
async def pending(principal: CurrentPrincipal, store: Store) -> InvitationList:
    """Invitations of the current workspace not yet accepted, revoked or expired."""
    return InvitationList(items=[_out(i) for i in await invitations.pending(store, principal)])


@router.delete("/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(
    invitation_id: UUID, principal: AdminPrincipal, store: Store, events: Events
) -> Response:
    """Withdraw an invitation (owners and admins)."""
    await invitations.revoke(store, events, principal, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{invitation_id}/resend",
    response_model=CreatedInvitationOut,
    responses={
        404: {"description": "No pending invitation of this workspace has this id"},
        429: {"description": "Sent again too often; see Retry-After"},
    },
)
async def resend(
    invitation_id: UUID,
    principal: AdminPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
    mail: InvitationMailDep,
) -> CreatedInvitationOut:
    """A new link for a pending or expired invitation (owners and admins): the old link
    stops working and the invitation runs for its full time again."""
    renewed = await invitations.resend(store, events, settings, mail, principal, invitation_id)
    return CreatedInvitationOut(
        **_out(renewed.invitation).model_dump(), token=renewed.token, url=renewed.url
    )


@router.post("/accept", response_model=AcceptedOut)
async def accept(
    body: AcceptIn, principal: ViewerPrincipal, store: Store, events: Events
) -> AcceptedOut:
    """Join the workspace of an invitation made out to the caller's email.

    Then ``POST /api/v1/auth/switch`` gives tokens acting in it.
    """
    workspace, role = await invitations.accept(store, events, principal, body.token)
    return AcceptedOut(workspace_id=workspace.id, workspace_name=workspace.name, role=role)
