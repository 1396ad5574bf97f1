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
ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}
"""Each role can do what every role below it can."""
MIN_ROLE = "x-kasa-min-role"
"""The OpenAPI extension naming an operation's minimum role (or ``public``: no token)."""
OPERATOR = "operator"
"""The instance operator: not a workspace role but a flag on the user, carried by the access
token as the claim ``operator: true`` (and only for such users). Its operations are marked
with it."""
EMAIL_VERIFIED = "email_verified"
"""The token's claim that the user proved their email address; mail to people outside the
workspace (invitations, invoices to clients) needs it."""


@dataclass(frozen=True)
class Principal:
    """The verified caller: who they are, which workspace every query is scoped to, their role."""

    user_id: UUID
    workspace_id: UUID
    role: str
    name: str | None = None
    operator: bool = False
    """Whether the user is an instance operator (the token's ``operator`` claim)."""
    email_verified: bool = False
    """Whether the user proved their email address (the token's ``email_verified`` claim)."""

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
                operator=claims.get(OPERATOR) is True,
                email_verified=claims.get(EMAIL_VERIFIED) is True,
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


def require_verified_email(principal: Principal, action: str) -> None:
    """Refuse ``action`` (e.g. "send mail to clients") with 403 until the caller proved their
    email address: mail from an unproven account could be anyone's."""
    if not principal.email_verified:
        raise ProblemError(
            403,
            "Forbidden",
            f"verify your email address before you {action}; "
            "the link is in the mail Kasa sent when you signed up",
            reason="email_unverified",
        )


def outranks(role: str, minimum: str) -> bool:
    """Whether ``role`` is ``minimum`` or above it (owner > admin > member > viewer)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[minimum]


class RoleDependency:
    """The dependency of a route that needs at least ``minimum``: refuses a lower role with 403.

    The route's OpenAPI operation carries ``x-kasa-min-role`` from it, and the service checks
    it before reading the request body (``kasa_servicekit.minimum_roles``), so a refused caller
    never has a body parsed or validated.
    """

    def __init__(self, minimum: str) -> None:
        if minimum not in ROLE_RANK:
            raise ValueError(f"unknown role {minimum!r}")
        self.minimum = minimum

    def check(self, principal: Principal) -> Principal:
        if not outranks(principal.role, self.minimum):
            raise ProblemError(
                403,
                "Forbidden",
                f"this needs the {self.minimum} role or above; yours is {principal.role}",
                required_role=self.minimum,
            )
        return principal

    async def __call__(
        self, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        return self.check(principal)

    def __repr__(self) -> str:
        return f"role_at_least({self.minimum!r})"


class OperatorDependency(RoleDependency):
    """The dependency of an instance operator's route: refuses everyone else with 403,
    whatever their role in the workspace. Checked before the body like a role, and marked
    ``x-kasa-min-role: operator``."""

    def __init__(self) -> None:
        self.minimum = OPERATOR

    def check(self, principal: Principal) -> Principal:
        if not principal.operator:
            raise ProblemError(
                403,
                "Forbidden",
                "this needs an instance operator; workspace roles do not grant it",
                required_role=OPERATOR,
            )
        return principal

    def __repr__(self) -> str:
        return "instance_operator()"


_ROLE_DEPENDENCIES: dict[str, RoleDependency] = {role: RoleDependency(role) for role in ROLES}
_ROLE_DEPENDENCIES[OPERATOR] = OperatorDependency()


def role_at_least(minimum: str) -> RoleDependency:
    """The one dependency object for ``minimum`` (one per role, so routes share it);
    ``operator`` is the instance operator's."""
    if minimum not in _ROLE_DEPENDENCIES:
        raise ValueError(f"unknown role {minimum!r}")
    return _ROLE_DEPENDENCIES[minimum]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""Any verified member of the workspace: for reads."""

ViewerPrincipal = Annotated[Principal, Depends(role_at_least("viewer"))]
"""Any verified member, on a write that only touches the caller's own account (profile,
password, sessions, joining or creating a workspace)."""

MemberPrincipal = Annotated[Principal, Depends(role_at_least("member"))]
"""A member or above: the day-to-day work."""

AdminPrincipal = Annotated[Principal, Depends(role_at_least("admin"))]
"""An admin or owner: where the money goes (payout IBAN, bank credentials), undoing the books
(cancelling invoices, voiding and correcting transactions, accounts) and managing members."""

OwnerPrincipal = Annotated[Principal, Depends(role_at_least("owner"))]
"""Only an owner."""

OperatorPrincipal = Annotated[Principal, Depends(role_at_least(OPERATOR))]
"""An instance operator, in whichever workspace the token acts: the instance's own
operations (status, parked messages), never a workspace's data."""

WritingPrincipal = MemberPrincipal
"""Former name of ``MemberPrincipal`` (a verified member allowed to change data)."""
