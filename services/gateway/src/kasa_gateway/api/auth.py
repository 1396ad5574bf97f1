"""Registration, tokens and the public signing keys."""

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import func, select

from kasa_contracts import Actor
from kasa_contracts.events.identity import UserRegistered
from kasa_gateway.db.tables import Membership, RefreshToken, User, Workspace
from kasa_gateway.passwords import hash_password, verify_password
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.signing_keys import SigningKey
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_events, make_envelope
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(tags=["auth"])


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.runtime.settings


def get_signing_key(request: Request) -> SigningKey:
    return request.app.state.signing_key


Settings = Annotated[GatewaySettings, Depends(get_settings)]
Key = Annotated[SigningKey, Depends(get_signing_key)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=12, max_length=1024)
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
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks(key: Key) -> dict[str, Any]:
    return {"keys": [key.public_jwk]}


@router.post(
    "/api/v1/auth/register", status_code=status.HTTP_201_CREATED, response_model=RegisteredOut
)
async def register(body: RegisterIn, db: Db) -> RegisteredOut:
    email = body.email.lower()
    if body.password.lower() == email:
        raise ProblemError(422, "Unprocessable Content", "the password must not be the email")
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
        actor = Actor(type="user", id=str(user.id), name=user.name)
        await add_events(
            session,
            [make_envelope(event, producer="gateway", workspace_id=workspace.id, actor=actor)],
        )
    return RegisteredOut(user_id=user.id, workspace_id=workspace.id, email=email, name=user.name)


@router.post("/api/v1/auth/token", response_model=TokenOut)
async def token(body: TokenIn, db: Db, settings: Settings, key: Key) -> TokenOut:
    email = body.email.strip().lower()
    async with db.sessions() as session:
        user = await session.scalar(select(User).where(User.email == email))
        membership = (
            await session.scalar(
                select(Membership)
                .where(Membership.user_id == user.id)
                .order_by(Membership.created_at)
            )
            if user
            else None
        )
    if not await verify_password(user.password_hash if user else None, body.password) or not (
        user and membership
    ):
        raise ProblemError(401, "Unauthorized", "wrong email or password")
    return await issue_tokens(db, settings, key, user, membership)


async def issue_tokens(
    db: Any, settings: GatewaySettings, key: SigningKey, user: User, membership: Membership
) -> TokenOut:
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user.id),
        "wid": str(membership.workspace_id),
        "role": membership.role,
        "name": user.name,
        "jti": str(new_id()),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    refresh = secrets.token_urlsafe(32)
    async with db.transaction() as session:
        session.add(
            RefreshToken(
                id=new_id(),
                token_hash=hashlib.sha256(refresh.encode()).hexdigest(),
                family_id=new_id(),
                user_id=user.id,
                workspace_id=membership.workspace_id,
                expires_at=now + timedelta(days=settings.refresh_token_days),
                created_at=now,
            )
        )
    return TokenOut(
        access_token=key.sign(claims),
        refresh_token=refresh,
        expires_in=int(lifetime.total_seconds()),
    )
