"""GET /api/v1/me: who the token belongs to and which workspace it acts in; their profile
(name, language) and password change."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from kasa_gateway.api.deps import LimitersDep, Settings, Store, bearer_session_id
from kasa_gateway.app import profile
from kasa_gateway.domain.password_policy import MAX_LENGTH, MIN_LENGTH
from kasa_servicekit.auth import CurrentPrincipal, ViewerPrincipal
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Events

router = APIRouter(prefix="/api/v1/me", tags=["me"])


class WorkspaceOut(BaseModel):
    id: UUID
    name: str
    role: str


Locale = Literal["en", "cs"]


class MeOut(BaseModel):
    id: UUID
    email: str
    name: str
    locale: Locale | None
    """The language Kasa speaks to this person; ``null``: whatever their browser prefers."""
    email_verified: bool
    """Whether the address is proven; until it is, no invitations and no mail to clients."""
    pending_email: str | None
    """A new address waiting for its link to be opened, if a change was asked for."""
    workspace: WorkspaceOut


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    locale: Locale | None = None
    """``null`` clears the setting; leave the field out to keep it."""


async def _me(store: Store, principal: CurrentPrincipal) -> MeOut:
    found = await profile.me(store, principal)
    user, workspace = found.user, found.workspace
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale if user.locale in ("en", "cs") else None,
        email_verified=user.email_verified_at is not None,
        pending_email=found.pending_email,
        workspace=WorkspaceOut(id=workspace.id, name=workspace.name, role=found.role),
    )


@router.get("", response_model=MeOut)
async def me(principal: CurrentPrincipal, store: Store) -> MeOut:
    return await _me(store, principal)


@router.patch("", response_model=MeOut)
async def update_profile(
    body: ProfileIn, principal: ViewerPrincipal, store: Store, events: Events
) -> MeOut:
    """Change one's own name or language; only the fields sent change."""
    wanted = body.model_dump(exclude_unset=True)
    if wanted.get("name", "") is None:
        raise ProblemError(
            422,
            "Unprocessable Content",
            "The request is not valid",
            errors=[{"loc": ["body", "name"], "msg": "a name is required", "type": "missing"}],
        )
    await profile.update_profile(store, events, principal, wanted)
    return await _me(store, principal)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"description": "The current password is wrong"},
        429: {"description": "Later"},
    },
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    principal: ViewerPrincipal,
    store: Store,
    events: Events,
    limiters: LimitersDep,
    settings: Settings,
) -> Response:
    """Change the password; every other session of the account is revoked."""
    await profile.change_password(
        store,
        events,
        limiters,
        principal,
        bearer_session_id(request),
        current=body.current_password,
        new=body.new_password,
        settings=settings,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
