"""Access tokens, refresh-token families and web sessions.

An access token is a short-lived signed JWT that every service verifies on its own; it
carries ``sid``, the session it was issued for. A refresh token is opaque, stored only as a
hash, and single use: redeeming it returns a new one of the same family. Presenting a used
token again means it was copied, so its whole family is revoked. A web session is the same
idea for browsers: an opaque HttpOnly cookie, and a CSRF token derived from it.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_gateway.db.tables import Membership, RefreshToken, User, WebSession
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.signing_keys import KeyRing
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.ids import new_id


def secret_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a web session: only someone who holds the session cookie can know it."""
    return hashlib.sha256(b"kasa-csrf:" + session_token.encode()).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token_for(session_token), presented or "")


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: UUID


def access_token(
    settings: GatewaySettings,
    keys: KeyRing,
    *,
    user_id: UUID,
    name: str | None,
    workspace_id: UUID,
    role: str,
    session_id: UUID,
    now: datetime | None = None,
) -> tuple[str, int]:
    now = now or utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "wid": str(workspace_id),
        "role": role,
        "name": name,
        "sid": str(session_id),
        "jti": str(new_id()),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return keys.sign(claims), int(lifetime.total_seconds())


async def issue_tokens(
    session: AsyncSession,
    settings: GatewaySettings,
    keys: KeyRing,
    user: User,
    membership: Membership,
    family_id: UUID | None = None,
) -> IssuedTokens:
    """A new access token and refresh token, written inside the caller's transaction."""
    now = utcnow()
    family_id = family_id or new_id()
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_id(),
            token_hash=secret_hash(refresh),
            family_id=family_id,
            user_id=user.id,
            workspace_id=membership.workspace_id,
            expires_at=now + timedelta(days=settings.refresh_token_days),
            created_at=now,
        )
    )
    access, expires_in = access_token(
        settings,
        keys,
        user_id=user.id,
        name=user.name,
        workspace_id=membership.workspace_id,
        role=membership.role,
        session_id=family_id,
        now=now,
    )
    return IssuedTokens(access, refresh, expires_in, family_id)


class RefreshRefusedError(Exception):
    """The refresh token is unknown, expired, revoked or was already used."""


async def redeem_refresh_token(
    db: Database, settings: GatewaySettings, keys: KeyRing, token: str
) -> IssuedTokens:
    """Rotate a refresh token; a reused one revokes its whole family."""
    now = utcnow()
    reused_family: UUID | None = None
    async with db.transaction() as session:
        row = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == secret_hash(token))
        )
        if row is None or row.expires_at <= now:
            raise RefreshRefusedError
        # The conditional update is the single point of truth under concurrency: of two
        # requests presenting the same token, only one sees a row change.
        claimed = await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == row.id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        if not claimed.rowcount:
            reused_family = row.family_id
            await revoke_families(session, [row.family_id])
        else:
            user = await session.get(User, row.user_id)
            membership = await session.get(Membership, (row.user_id, row.workspace_id))
            if user is not None and membership is not None:
                return await issue_tokens(session, settings, keys, user, membership, row.family_id)
            # Removed from the workspace since: the session ends here.
            await revoke_families(session, [row.family_id])
    if reused_family is not None:
        raise RefreshRefusedError("refresh token reused; its session has been revoked")
    raise RefreshRefusedError


async def revoke_families(session: AsyncSession, families: list[UUID]) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id.in_(families), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_refresh_token(session: AsyncSession, token: str) -> RefreshToken | None:
    """End the session of a refresh token; the token's row, or None for an unknown token."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == secret_hash(token))
    )
    if row is not None:
        await revoke_families(session, [row.family_id])
    return row


async def revoke_session(session: AsyncSession, session_id: UUID) -> None:
    """End the session ``sid`` names, be it a refresh family or a web session."""
    await revoke_families(session, [session_id])
    await session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_other_sessions(session: AsyncSession, user_id: UUID, keep: UUID | None) -> None:
    """Revoke every session of a user except ``keep`` (the one asking)."""
    now = utcnow()
    families = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    webs = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        families = families.where(RefreshToken.family_id != keep)
        webs = webs.where(WebSession.id != keep)
    await session.execute(families.values(revoked_at=now))
    await session.execute(webs.values(revoked_at=now))


async def create_web_session(
    session: AsyncSession, settings: GatewaySettings, user: User, membership: Membership
) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id=new_id(),
            token_hash=secret_hash(token),
            user_id=user.id,
            workspace_id=membership.workspace_id,
            expires_at=now + timedelta(hours=settings.web_session_hours),
            created_at=now,
        )
    )
    return token


@dataclass(frozen=True)
class LiveWebSession:
    id: UUID
    user_id: UUID
    name: str
    workspace_id: UUID
    role: str


async def load_web_session(db: Database, token: str) -> LiveWebSession | None:
    """The live session behind a cookie value, with the member's current role."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(WebSession, User.name, Membership.role)
                .join(User, User.id == WebSession.user_id)
                .join(
                    Membership,
                    and_(
                        Membership.user_id == WebSession.user_id,
                        Membership.workspace_id == WebSession.workspace_id,
                    ),
                )
                .where(
                    WebSession.token_hash == secret_hash(token),
                    WebSession.revoked_at.is_(None),
                    WebSession.expires_at > utcnow(),
                )
            )
        ).first()
    if row is None:
        return None
    web, name, role = row
    return LiveWebSession(web.id, web.user_id, name, web.workspace_id, role)


class WebSessions:
    """The live browser sessions behind cookies, and access tokens for their requests.

    A session found live is believed for two seconds (a page and the requests it makes at
    once need one lookup, not one each); this gateway forgets it at once when it signs the
    session out or moves it to another workspace, and every other change (revocation
    elsewhere, a new role) holds within those two seconds. The token minted for a session is
    reused for a minute while its identity, workspace and role stay the same: each service
    remembers a token it has verified, so a page's API calls skip a signature check apiece.
    """

    believe_seconds = 2.0
    reuse_seconds = 60
    size = 10_000

    def __init__(self, settings: GatewaySettings, keys: KeyRing) -> None:
        self.settings = settings
        self.keys = keys
        self._live: dict[str, tuple[float, LiveWebSession]] = {}
        self._minted: dict[LiveWebSession, tuple[float, str]] = {}

    async def live(self, db: Database, cookie: str) -> LiveWebSession | None:
        key = secret_hash(cookie)
        now = time.monotonic()
        known = self._live.get(key)
        if known and known[0] > now:
            return known[1]
        found = await load_web_session(db, cookie)
        if found is None:
            self._live.pop(key, None)
            return None
        self._live = _bounded(self._live, self.size, now)
        self._live[key] = (now + self.believe_seconds, found)
        return found

    def forget(self, session_id: UUID | None) -> None:
        """After this gateway changed the session (signed out, moved): look it up again."""
        self._live = {k: v for k, v in self._live.items() if v[1].id != session_id}

    def token(self, live: LiveWebSession) -> str:
        now = time.monotonic()
        known = self._minted.get(live)
        if known and known[0] > now:
            return known[1]
        token, _ = access_token(
            self.settings,
            self.keys,
            user_id=live.user_id,
            name=live.name,
            workspace_id=live.workspace_id,
            role=live.role,
            session_id=live.id,
        )
        self._minted = _bounded(self._minted, self.size, now)
        self._minted[live] = (now + self.reuse_seconds, token)
        return token


def _bounded(memo: dict[Any, tuple[float, Any]], size: int, now: float) -> dict[Any, Any]:
    """The memo without its expired entries once it is full; empty if all are still fresh."""
    if len(memo) < size:
        return memo
    fresh = {k: v for k, v in memo.items() if v[0] > now}
    return fresh if len(fresh) < size else {}
