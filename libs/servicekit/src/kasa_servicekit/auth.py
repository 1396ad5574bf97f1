"""Verifying the gateway's tokens in every service, and the workspace they scope."""

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import httpx
import jwt
from fastapi import Depends, Request

from kasa_contracts import Actor
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.revocations import RevocationsUnavailableError, RevokedSessions

ROLES = ("owner", "admin", "member", "viewer")


@dataclass(frozen=True)
class Principal:
    """The verified caller: who they are, which workspace every query is scoped to, their role."""

    user_id: UUID
    workspace_id: UUID
    role: str
    name: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(type="user", id=str(self.user_id), name=self.name)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


class JwksVerifier:
    """Verifies EdDSA access tokens against the gateway's published JWKS.

    Keys are cached; an unknown ``kid`` triggers at most one refetch every few seconds, so a
    rotated key is picked up without letting forged tokens hammer the gateway. Verified tokens
    are remembered until they expire (a signature check costs more than the rest of a small
    request); a changed key set forgets them all.

    Every token names its session (``sid``); with a ``revoked`` deny set, a token of a revoked
    session is refused on every call, remembered or not.
    """

    remembered = 10_000

    def __init__(
        self,
        jwks_url: str | None,
        issuer: str,
        audience: str,
        keys: list[dict[str, Any]] | None = None,
        revoked: RevokedSessions | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, jwt.PyJWK] = {k["kid"]: jwt.PyJWK(k) for k in keys or []}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.revoked = revoked
        self._verified: OrderedDict[str, tuple[Principal, float, str]] = OrderedDict()

    @classmethod
    def with_keys(
        cls,
        keys: list[dict[str, Any]],
        issuer: str,
        audience: str,
        revoked: RevokedSessions | None = None,
    ) -> "JwksVerifier":
        """A verifier over a fixed key set (the gateway verifying its own tokens)."""
        return cls(None, issuer, audience, keys, revoked)

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < 5:
                return
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(str(self.jwks_url))
                response.raise_for_status()
            keys = {}
            for data in response.json().get("keys", []):
                try:
                    keys[data["kid"]] = jwt.PyJWK(data)
                except (KeyError, jwt.PyJWTError):
                    continue
            if keys.keys() != self._keys.keys():
                self._verified.clear()
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        if kid not in self._keys and self.jwks_url:
            try:
                await self._refresh()
            except httpx.HTTPError as exc:
                raise ProblemError(503, "Service Unavailable", "cannot load signing keys") from exc
        return self._keys.get(kid)

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None and time.time() >= known[1]:
            del self._verified[token]
            known = None
        if known is not None:
            self._verified.move_to_end(token)
        else:
            known = await self._verify(token)
            self._verified[token] = known
            if len(self._verified) > self.remembered:
                self._verified.popitem(last=False)
        principal, _, session_id = known
        await self._refuse_revoked(session_id)
        return principal

    async def _refuse_revoked(self, session_id: str) -> None:
        if self.revoked is None:
            return
        try:
            await self.revoked.ensure_loaded()
        except RevocationsUnavailableError as exc:
            raise ProblemError(503, "Service Unavailable", "cannot load revoked sessions") from exc
        if self.revoked.is_revoked(session_id):
            raise _unauthorized("the session of this token has ended")

    async def _verify(self, token: str) -> tuple[Principal, float, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _unauthorized("malformed token") from exc
        key = await self.key_for(str(header.get("kid", "")))
        if key is None:
            raise _unauthorized("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=self.issuer,
                # Without ``sid`` a token could not be revoked.
                options={"require": ["exp", "sub", "wid", "role", "jti", "sid"]},
            )
            session_id = str(UUID(str(claims["sid"])))
            principal = Principal(
                user_id=UUID(claims["sub"]),
                workspace_id=UUID(claims["wid"]),
                role=str(claims["role"]),
                name=claims.get("name"),
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise _unauthorized("invalid token") from exc
        if principal.role not in ROLES:
            raise _unauthorized("invalid role")
        return principal, float(claims["exp"]), session_id


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("a bearer token is required")
    verifier: JwksVerifier = request.app.state.verifier
    return await verifier.verify(token.strip())


async def writing_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.role == "viewer":
        raise ProblemError(403, "Forbidden", "viewers cannot change data")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""Any verified member of the workspace."""

WritingPrincipal = Annotated[Principal, Depends(writing_principal)]
"""A verified member allowed to change data (not a viewer)."""
