"""Registration, sign-in, token refresh and logout, switching workspace, and the JWKS."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kasa_gateway.api.auth_bodies import SwitchIn, TokenIn
from kasa_gateway.api.deps import (
    AddressMailDep,
    ClientDep,
    Keys,
    LimitersDep,
    Settings,
    Store,
    bearer_session_id,
)
from kasa_gateway.app import accounts, revocations
from kasa_gateway.domain.password_policy import MAX_LENGTH, MIN_LENGTH
from kasa_gateway.tokens.access import IssuedTokens
from kasa_servicekit.auth import MIN_ROLE, ViewerPrincipal, current_principal
from kasa_servicekit.minimum_roles import PUBLIC
from kasa_servicekit.service import Events

router = APIRouter(tags=["auth"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Wrong email or password"}}
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts; see Retry-After"}
}


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    name: str = Field(min_length=1, max_length=200)
    workspace_name: str = Field(min_length=1, max_length=200)


class RegisteredOut(BaseModel):
    user_id: UUID
    workspace_id: UUID
    email: str
    name: str


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int

    @classmethod
    def of(cls, tokens: IssuedTokens) -> "TokenOut":
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = Field(default=None, max_length=200)


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks(keys: Keys) -> dict[str, Any]:
    return {"keys": keys.jwks}


@router.get("/.well-known/revoked-sessions.json", include_in_schema=False)
async def revoked_sessions(store: Store, settings: Settings) -> dict[str, Any]:
    """The revoked sessions whose access tokens may still be alive, with when they are gone
    (Unix seconds): what a service refuses besides what its revocation queue brings. Session
    ids only: nothing here identifies a person or lets anyone act."""
    return {
        "sessions": [
            {"sid": str(sid), "until": int(until.timestamp()) + 1}
            for sid, until in await revocations.in_force(store, settings)
        ]
    }


@router.post(
    "/api/v1/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    responses={409: {"description": "The email is taken"}, **LIMITED},
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def register(
    body: RegisterIn,
    store: Store,
    events: Events,
    limiters: LimitersDep,
    mail: AddressMailDep,
    client: ClientDep,
) -> RegisteredOut:
    """A new account owning a new workspace; its address is mailed a link that proves it.
    An email already taken is refused (409); the registrations per address are limited (429),
    which bounds how many emails one address can try that way."""
    user, workspace = await accounts.register(
        store,
        events,
        limiters,
        mail,
        address=client.address,
        user_agent=client.user_agent,
        email=body.email,
        password=body.password,
        name=body.name,
        workspace_name=body.workspace_name,
    )
    return RegisteredOut(
        user_id=user.id, workspace_id=workspace.id, email=user.email, name=user.name
    )


@router.post(
    "/api/v1/auth/token",
    response_model=TokenOut,
    responses={**UNAUTHORIZED, **LIMITED},
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def token(
    body: TokenIn,
    store: Store,
    events: Events,
    settings: Settings,
    keys: Keys,
    limiters: LimitersDep,
    client: ClientDep,
) -> TokenOut:
    """Sign in with email and password: an access token and a refresh token.

    Failed attempts count per account and address: after a few, that address waits (429 with
    ``Retry-After``), longer with every further failure; other addresses are not held back.
    """
    credentials = accounts.Credentials(body.email, body.password, client.address, client.user_agent)
    return TokenOut.of(await accounts.log_in(store, events, settings, keys, limiters, credentials))


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenOut,
    responses={401: {"description": "Unknown, expired, revoked or reused refresh token"}},
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def refresh(
    body: RefreshIn, store: Store, settings: Settings, keys: Keys, events: Events
) -> TokenOut:
    """Trade a refresh token for new tokens; the old refresh token stops working."""
    return TokenOut.of(await accounts.refresh(store, settings, keys, body.refresh_token, events))


@router.post(
    "/api/v1/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={MIN_ROLE: PUBLIC},
)
async def logout(
    request: Request,
    store: Store,
    events: Events,
    client: ClientDep,
    settings: Settings,
    body: LogoutIn | None = None,
) -> Response:
    """End a session: the one of the given refresh token and/or of the bearer token."""
    principal = await current_principal(request) if request.headers.get("authorization") else None
    await accounts.log_out(
        store,
        events,
        principal=principal,
        session_id=bearer_session_id(request) if principal else None,
        refresh_token=body.refresh_token if body else None,
        client=client,
        settings=settings,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api/v1/auth/switch",
    response_model=TokenOut,
    responses={404: {"description": "Not a member of that workspace"}},
)
async def switch_workspace(
    body: SwitchIn,
    principal: ViewerPrincipal,
    store: Store,
    events: Events,
    settings: Settings,
    keys: Keys,
    client: ClientDep,
) -> TokenOut:
    """New tokens acting in another workspace the caller belongs to."""
    tokens = await accounts.switch_workspace(
        store, events, settings, keys, principal, body.workspace_id, client
    )
    return TokenOut.of(tokens)
