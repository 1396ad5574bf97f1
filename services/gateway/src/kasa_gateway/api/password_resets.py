"""Forgotten passwords: ask for a reset link by mail, then set a new password with it."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kasa_gateway.api.deps import ClientDep, LimitersDep, Settings, Store
from kasa_gateway.app import password_resets
from kasa_gateway.domain.password_policy import MAX_LENGTH, MIN_LENGTH
from kasa_servicekit.auth import MIN_ROLE
from kasa_servicekit.minimum_roles import PUBLIC
from kasa_servicekit.service import Events

router = APIRouter(tags=["auth"])

ACCEPTED = {
    "detail": "If an account exists for this email, a link to reset its password is on its way."
}


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


async def reset_mail(request: Request, settings: Settings) -> password_resets.ResetMail:
    return password_resets.ResetMail(request.app.state.mail, settings)


ResetMailDep = Annotated[password_resets.ResetMail, Depends(reset_mail)]


@router.post(
    "/api/v1/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    responses={429: {"description": "Too many requests from this address; see Retry-After"}},
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def request_reset(
    body: ResetRequestIn,
    store: Store,
    events: Events,
    limiters: LimitersDep,
    mail: ResetMailDep,
    client: ClientDep,
) -> dict[str, Any]:
    """Mail a single-use reset link to the account of ``email``. The answer is the same
    whether or not such an account exists."""
    await password_resets.request_reset(store, events, limiters, mail, body.email, client)
    return ACCEPTED


@router.post(
    "/api/v1/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        400: {"description": "The link is unknown, expired or already used"},
        422: {"description": "The password breaks the policy"},
    },
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def reset_password(
    body: ResetIn, store: Store, events: Events, settings: Settings, client: ClientDep
) -> Response:
    """Set a new password with the token of a reset link. Every session of the account is
    signed out, and the link and any other pending link stop working."""
    await password_resets.reset_password(store, events, settings, body.token, body.password, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
