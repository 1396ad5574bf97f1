"""What the gateway's routes share: settings, keys, limits, the store, the caller's address."""

from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request

from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.signing_keys import KeyRing


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.runtime.settings


async def get_keys(request: Request) -> KeyRing:
    return request.app.state.keys


async def get_limiters(request: Request) -> Limiters:
    return request.app.state.limiters


async def get_store(request: Request) -> IdentityStore:
    return IdentityStore(request.app.state.runtime.db)


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


Settings = Annotated[GatewaySettings, Depends(get_settings)]
Keys = Annotated[KeyRing, Depends(get_keys)]
LimitersDep = Annotated[Limiters, Depends(get_limiters)]
Store = Annotated[IdentityStore, Depends(get_store)]
ClientAddress = Annotated[str, Depends(client_address)]
