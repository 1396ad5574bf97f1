"""Access tokens: short-lived signed JWTs that every service verifies on its own.

Each carries ``sid``, the session it was issued for: a refresh-token family or a web session,
``operator: true`` when (and only when) the user is an instance operator, and
``email_verified: true`` once the user proved their address (mail to clients and invitations
want it).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.signing_keys import KeyRing
from kasa_servicekit.auth import EMAIL_VERIFIED, OPERATOR
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id


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
    operator: bool = False,
    email_verified: bool = False,
    now: datetime | None = None,
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
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
    if operator:
        claims[OPERATOR] = True
    if email_verified:
        claims[EMAIL_VERIFIED] = True
    return keys.sign(claims), int(lifetime.total_seconds())
