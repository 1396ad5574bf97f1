"""``/api/v1/members/{user_id}/sessions``: a member's live sessions in the workspace, and
signing one or all of them out (owners and admins; only owners manage owners)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from kasa_gateway.api.deps import Settings, Store
from kasa_gateway.app import member_sessions
from kasa_gateway.db.identities import MemberSession
from kasa_servicekit.auth import AdminPrincipal
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1/members/{user_id}/sessions", tags=["workspaces"])


class MemberSessionOut(BaseModel):
    """A live session: a browser's cookie session (``web``) or an API client's (``api``)."""

    id: UUID
    """The ``sid`` its access tokens carry."""
    kind: Literal["web", "api"]
    address: str | None
    """Where its sign-in came from."""
    user_agent: str | None
    started_at: datetime
    last_seen_at: datetime
    """Its last request (a browser's, to the minute) or token refresh (an API client's)."""
    expires_at: datetime


class MemberSessionList(BaseModel):
    items: list[MemberSessionOut]
    next_cursor: str | None = None


def _out(found: MemberSession) -> MemberSessionOut:
    return MemberSessionOut.model_validate(found, from_attributes=True)


@router.get("", response_model=MemberSessionList)
async def list_sessions(
    user_id: UUID, principal: AdminPrincipal, store: Store
) -> MemberSessionList:
    """The member's live sessions in the caller's workspace, most recently seen first."""
    found = await member_sessions.sessions_of(store, principal, user_id)
    return MemberSessionList(items=[_out(s) for s in found])


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "Not a live session of this member in this workspace"}},
)
async def sign_out_session(
    user_id: UUID,
    session_id: UUID,
    principal: AdminPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
) -> Response:
    """Sign one session out: its access tokens are refused everywhere from now on."""
    await member_sessions.sign_out(store, events, settings, principal, user_id, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out_all(
    user_id: UUID, principal: AdminPrincipal, store: Store, events: Events, settings: Settings
) -> Response:
    """Sign every session of the member in this workspace out."""
    await member_sessions.sign_out(store, events, settings, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
