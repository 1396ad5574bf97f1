"""Registration, sign-in, token refresh and logout, switching workspace, and the JWKS."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import func, select

from kasa_contracts import Actor
from kasa_contracts.events.identity import (
    UserLockedOut,
    UserLoggedIn,
    UserLoggedOut,
    UserRegistered,
)
from kasa_gateway import login_throttle
from kasa_gateway.api.deps import (
    ClientAddress,
    Keys,
    LimitersDep,
    Settings,
    bearer_session_id,
    too_many,
)
from kasa_gateway.db.tables import Membership, User, Workspace
from kasa_gateway.domain.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems
from kasa_gateway.passwords import hash_password, verify_password
from kasa_gateway.sessions import (
    IssuedTokens,
    RefreshRefusedError,
    issue_tokens,
    redeem_refresh_token,
    revoke_refresh_token,
    revoke_session,
)
from kasa_servicekit.auth import CurrentPrincipal, current_principal
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

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


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_LENGTH)


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


class SwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID


def policy_problem(problems: list[str]) -> ProblemError:
    return ProblemError(
        422,
        "Unprocessable Content",
        "; ".join(problems),
        errors=[
            {"loc": ["body", "password"], "msg": p, "type": "password_policy"} for p in problems
        ],
    )


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks(keys: Keys) -> dict[str, Any]:
    return {"keys": keys.jwks}


@router.post(
    "/api/v1/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    responses={409: {"description": "The email is taken"}, **LIMITED},
)
async def register(
    body: RegisterIn, db: Db, limiters: LimitersDep, address: ClientAddress
) -> RegisteredOut:
    decision = limiters.register_per_address.hit(address)
    if not decision.allowed:
        raise too_many(decision, "too many registrations from this address")
    email = body.email.lower()
    if problems := password_problems(body.password, email):
        raise policy_problem(problems)
    password_hash = await hash_password(body.password)
    now = utcnow()
    user = User(
        id=new_id(), email=email, name=body.name, password_hash=password_hash, created_at=now
    )
    workspace = Workspace(id=new_id(), name=body.workspace_name, created_at=now)
    async with db.transaction() as session:
        if await session.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise ProblemError(409, "Conflict", "an account with this email already exists")
        session.add_all([user, workspace])
        await session.flush()
        session.add(
            Membership(user_id=user.id, workspace_id=workspace.id, role="owner", created_at=now)
        )
        event = UserRegistered(user_id=user.id, name=user.name, workspace_name=workspace.name)
        await add_events(
            session,
            [
                make_envelope(
                    event, producer="gateway", workspace_id=workspace.id, actor=actor(user)
                )
            ],
        )
    return RegisteredOut(user_id=user.id, workspace_id=workspace.id, email=email, name=user.name)


def actor(user: User) -> Actor:
    return Actor(type="user", id=str(user.id), name=user.name)


async def authenticate(
    db: Database,
    settings: Settings,
    limiters: LimitersDep,
    address: str,
    email: str,
    password: str,
) -> tuple[User, Membership]:
    """Check a sign-in; unknown email and wrong password get the same answer in the same time."""
    email = email.strip().lower()
    for limiter, detail in (
        (limiters.login_per_address, "too many sign-in attempts from this address"),
        (limiters.login_per_account, "too many sign-in attempts for this account"),
    ):
        decision = limiter.hit(email if limiter is limiters.login_per_account else address)
        if not decision.allowed:
            raise too_many(decision, detail)
    if locked := await login_throttle.seconds_locked(db, email):
        raise ProblemError(
            429,
            "Too Many Requests",
            "too many failed sign-ins; try again later",
            headers={"Retry-After": str(locked)},
        )
    async with db.sessions() as session:
        user = await session.scalar(select(User).where(User.email == email))
        # The same queries run for an unknown email, so timing does not tell them apart.
        membership = await session.scalar(
            select(Membership)
            .where(Membership.user_id == (user.id if user else new_id()))
            .order_by(Membership.created_at)
        )
    verified = await verify_password(user.password_hash if user else None, password)
    if not (verified and user and membership):
        async with db.transaction() as session:
            failure = await login_throttle.record_failure(session, settings, email)
            if failure.locked_until and user and membership:
                event = UserLockedOut(
                    user_id=user.id, failures=failure.failures, locked_until=failure.locked_until
                )
                await add_events(
                    session,
                    [
                        make_envelope(
                            event,
                            producer="gateway",
                            workspace_id=membership.workspace_id,
                            actor=Actor(type="system", id="gateway"),
                        )
                    ],
                )
        raise ProblemError(
            401, "Unauthorized", "wrong email or password", headers={"WWW-Authenticate": "Bearer"}
        )
    return user, membership


def logged_in(user: User, membership: Membership, method: str) -> Any:
    return make_envelope(
        UserLoggedIn(user_id=user.id, method=method),
        producer="gateway",
        workspace_id=membership.workspace_id,
        actor=actor(user),
    )


@router.post("/api/v1/auth/token", response_model=TokenOut, responses={**UNAUTHORIZED, **LIMITED})
async def token(
    body: TokenIn,
    db: Db,
    settings: Settings,
    keys: Keys,
    limiters: LimitersDep,
    address: ClientAddress,
) -> TokenOut:
    """Sign in with email and password: an access token and a refresh token."""
    user, membership = await authenticate(
        db, settings, limiters, address, body.email, body.password
    )
    async with db.transaction() as session:
        await login_throttle.clear(session, user.email)
        tokens = await issue_tokens(session, settings, keys, user, membership)
        await add_events(session, [logged_in(user, membership, "token")])
    return TokenOut.of(tokens)


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenOut,
    responses={401: {"description": "Unknown, expired, revoked or reused refresh token"}},
)
async def refresh(body: RefreshIn, db: Db, settings: Settings, keys: Keys) -> TokenOut:
    """Trade a refresh token for new tokens; the old refresh token stops working."""
    try:
        tokens = await redeem_refresh_token(db, settings, keys, body.refresh_token)
    except RefreshRefusedError as exc:
        raise ProblemError(
            401, "Unauthorized", str(exc) or "the refresh token is not valid"
        ) from exc
    return TokenOut.of(tokens)


@router.post("/api/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: Db, body: LogoutIn | None = None) -> Response:
    """End a session: the one of the given refresh token and/or of the bearer token."""
    principal = await current_principal(request) if request.headers.get("authorization") else None
    async with db.transaction() as session:
        ended = None
        if body and body.refresh_token:
            ended = await revoke_refresh_token(session, body.refresh_token)
        if principal and (sid := bearer_session_id(request)):
            await revoke_session(session, sid)
        if principal:
            user_id, workspace_id, name = principal.user_id, principal.workspace_id, principal.name
        elif ended:
            user_id, workspace_id = ended.user_id, ended.workspace_id
            name = await session.scalar(select(User.name).where(User.id == user_id))
        else:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        await add_events(session, [logged_out(user_id, workspace_id, name, "token")])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def logged_out(user_id: UUID, workspace_id: UUID, name: str | None, method: str) -> Any:
    return make_envelope(
        UserLoggedOut(user_id=user_id, method=method),
        producer="gateway",
        workspace_id=workspace_id,
        actor=Actor(type="user", id=str(user_id), name=name),
    )


@router.post(
    "/api/v1/auth/switch",
    response_model=TokenOut,
    responses={404: {"description": "Not a member of that workspace"}},
)
async def switch_workspace(
    body: SwitchIn, principal: CurrentPrincipal, db: Db, settings: Settings, keys: Keys
) -> TokenOut:
    """New tokens acting in another workspace the caller belongs to."""
    async with db.transaction() as session:
        user = await session.get(User, principal.user_id)
        membership = await session.get(Membership, (principal.user_id, body.workspace_id))
        if user is None or membership is None:
            raise ProblemError(404, "Not Found", "workspace does not exist")
        tokens = await issue_tokens(session, settings, keys, user, membership)
        await add_events(session, [logged_in(user, membership, "switch")])
    return TokenOut.of(tokens)
