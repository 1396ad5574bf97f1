"""What the gateway's routes share: settings, keys, limits, the store, the caller's address."""

from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request

from kasa_contracts.events.identity import ADDRESS_MAX_LENGTH, USER_AGENT_MAX_LENGTH
from kasa_gateway.app.accounts import Client
from kasa_gateway.app.email_addresses import AddressMail
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.guards import client_address as resolved_address
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.client_address import HEADER as VOUCHED_ADDRESS
from kasa_gateway.tokens.client_address import ClientAddresses
from kasa_gateway.tokens.signing_keys import KeyRing


async def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.runtime.settings


async def get_keys(request: Request) -> KeyRing:
    return request.app.state.keys


async def get_limiters(request: Request) -> Limiters:
    return request.app.state.limiters


async def get_store(request: Request) -> IdentityStore:
    # Sessions a use case ends are refused by this instance as soon as it commits.
    return IdentityStore(request.app.state.runtime.db, request.app.state.revoked_sessions)


async def client_address(request: Request) -> str:
    """Who is signing in or registering: the address the web application hands back for a
    person on one of its pages (vouched for by this gateway), else the request's own."""
    vouched = request.headers.get(VOUCHED_ADDRESS)
    if vouched:
        addresses: ClientAddresses = request.app.state.client_addresses
        address = addresses.vouched(vouched)
        if address is not None:
            return address[:ADDRESS_MAX_LENGTH]
    return resolved_address(request.scope, request.app.state)[:ADDRESS_MAX_LENGTH]


async def client(request: Request) -> Client:
    agent = request.headers.get("user-agent")
    return Client(await client_address(request), agent[:USER_AGENT_MAX_LENGTH] if agent else None)


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


async def get_address_mail(request: Request) -> AddressMail:
    return request.app.state.address_mail


AddressMailDep = Annotated[AddressMail, Depends(get_address_mail)]
ClientAddress = Annotated[str, Depends(client_address)]
ClientDep = Annotated[Client, Depends(client)]
