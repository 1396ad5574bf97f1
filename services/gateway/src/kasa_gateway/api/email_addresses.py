"""Proving one's email address, asking for the link again, and changing the address."""

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kasa_gateway.api.deps import AddressMailDep, LimitersDep, Store
from kasa_gateway.app import email_addresses
from kasa_gateway.domain.password_policy import MAX_LENGTH
from kasa_servicekit.auth import MIN_ROLE, ViewerPrincipal
from kasa_servicekit.minimum_roles import PUBLIC
from kasa_servicekit.service import Events

router = APIRouter(tags=["me"])


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class VerifiedOut(BaseModel):
    email: str
    """The account's address, now proven."""
    changed: bool
    """The link proved a new address, which replaced the old one (the old one was told)."""


class EmailChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(max_length=MAX_LENGTH)
    """The current password: an open session alone does not move the account elsewhere."""


@router.post(
    "/api/v1/auth/verify-email",
    response_model=VerifiedOut,
    responses={
        400: {"description": "The link is unknown, expired or already used"},
        409: {"description": "The new address was taken by another account meanwhile"},
    },
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def verify_email(
    body: VerifyIn, request: Request, store: Store, events: Events, mail: AddressMailDep
) -> VerifiedOut:
    """Open a verification link: the token proves the address it was mailed to. Signed in
    or not, on any device; a session's next token carries ``email_verified``."""
    verified = await email_addresses.verify(store, events, mail, body.token)
    request.app.state.web_sessions.forget_user(verified.user_id)
    return VerifiedOut(email=verified.email, changed=verified.changed)


@router.post(
    "/api/v1/me/email-verification",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        409: {"description": "The address is verified already"},
        429: {"description": "Too many verification mails this hour"},
    },
)
async def resend_verification(
    principal: ViewerPrincipal, store: Store, mail: AddressMailDep
) -> dict[str, Any]:
    """Mail the account's address a new verification link."""
    await email_addresses.resend(store, mail, principal)
    return {"detail": "A new verification link is on its way."}


@router.post(
    "/api/v1/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        403: {"description": "The password is wrong"},
        409: {"description": "The address is taken, or is the account's already"},
        429: {"description": "Too many attempts or verification mails"},
    },
)
async def change_email(
    body: EmailChangeIn,
    principal: ViewerPrincipal,
    store: Store,
    events: Events,
    limiters: LimitersDep,
    mail: AddressMailDep,
) -> dict[str, Any]:
    """Change the account's address: a link goes to the new one, which replaces the old one
    only once it is opened."""
    await email_addresses.request_change(
        store, events, limiters, mail, principal, email=body.email, password=body.password
    )
    return {"detail": f"Open the link we sent to {body.email.lower()} to make it your address."}
