"""What the gateway's routes share: settings, keys, limits, the caller's address."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request

from kasa_gateway.rate_limits import Decision, RateLimiter
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.signing_keys import KeyRing
from kasa_servicekit.problems import ProblemError


@dataclass
class Limiters:
    login_per_account: RateLimiter
    login_per_address: RateLimiter
    register_per_address: RateLimiter
    api_per_user: RateLimiter

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> "Limiters":
        return cls(
            RateLimiter(settings.login_rate_per_account),
            RateLimiter(settings.login_rate_per_address),
            RateLimiter(settings.register_rate_per_address),
            RateLimiter(settings.api_rate_per_user),
        )


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.runtime.settings


async def get_keys(request: Request) -> KeyRing:
    return request.app.state.keys


async def get_limiters(request: Request) -> Limiters:
    return request.app.state.limiters


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_session_id(request: Request) -> UUID | None:
    """The ``sid`` claim of the bearer token; call only after the token has been verified."""
    _, _, raw = request.headers.get("authorization", "").partition(" ")
    try:
        sid = jwt.decode(raw.strip(), options={"verify_signature": False}).get("sid")
        return UUID(str(sid)) if sid else None
    except (jwt.PyJWTError, ValueError):
        return None


def too_many(decision: Decision, detail: str) -> ProblemError:
    return ProblemError(
        429, "Too Many Requests", detail, headers={"Retry-After": str(decision.reset_after)}
    )


Settings = Annotated[GatewaySettings, Depends(get_settings)]
Keys = Annotated[KeyRing, Depends(get_keys)]
LimitersDep = Annotated[Limiters, Depends(get_limiters)]
ClientAddress = Annotated[str, Depends(client_address)]
