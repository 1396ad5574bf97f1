"""Browser sessions: signing in with a cookie, moving the session to another workspace,
signing out.

A web session is an opaque HttpOnly cookie kept only as a hash; its CSRF token is derived
from it, so only a page that can read our cookies can send it back.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from kasa_contracts.events.identity import UserLoggedIn, UserLoggedOut
from kasa_gateway.app.accounts import (
    Client,
    Credentials,
    authenticate,
    logged_in,
    member_of,
)
from kasa_gateway.app.actors import user_actor
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.db.tables import WebSession
from kasa_gateway.domain.errors import NotABrowserSession
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.opaque import csrf_token_for, new_secret, secret_hash
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id


@dataclass(frozen=True)
class BrowserSession:
    """A new session: the cookie's value, its CSRF token and how long both live."""

    token: str
    csrf_token: str
    lifetime: timedelta
    expires_at: datetime


async def sign_in(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    limiters: Limiters,
    credentials: Credentials,
) -> BrowserSession:
    """Sign in for the browser: a new web session in the account's first workspace."""
    user, membership = await authenticate(store, events, settings, limiters, credentials)
    lifetime = timedelta(hours=settings.web_session_hours)
    token = new_secret()
    async with store.transaction() as tx:
        now = utcnow()
        await tx.add(
            WebSession(
                id=new_id(),
                token_hash=secret_hash(token),
                user_id=user.id,
                workspace_id=membership.workspace_id,
                expires_at=now + lifetime,
                created_at=now,
                address=credentials.address,
                user_agent=credentials.user_agent,
                last_seen_at=now,
            )
        )
        await logged_in(tx, events, user, membership, "web_session", credentials.client)
    return BrowserSession(token, csrf_token_for(token), lifetime, utcnow() + lifetime)


async def switch_workspace(
    store: IdentityStore,
    events: EventWriter,
    principal: Principal,
    session_id: UUID | None,
    workspace_id: UUID,
    client: Client | None = None,
) -> None:
    """Make the browser session act in another workspace the caller belongs to."""
    async with store.transaction() as tx:
        user, membership = await member_of(tx, principal, workspace_id)
        if not await tx.move_web_session(session_id, user.id, membership.workspace_id):
            raise NotABrowserSession
        await events.write(
            tx.session,
            UserLoggedIn(
                user_id=user.id,
                method="switch",
                address=client.address if client else None,
                user_agent=client.user_agent if client else None,
            ),
            on=At(membership.workspace_id, user_actor(user)),
        )


async def sign_out(
    store: IdentityStore,
    events: EventWriter,
    principal: Principal,
    session_id: UUID | None,
    client: Client | None = None,
    *,
    settings: GatewaySettings,
) -> None:
    """End the browser session; its access tokens are refused everywhere from now on."""
    async with store.transaction() as tx:
        sessions = await tx.revoke_session(session_id) if session_id else []
        await announce(
            tx,
            events,
            settings,
            principal,
            user_id=principal.user_id,
            sessions=sessions,
            reason="logged_out",
            workspace_id=principal.workspace_id,
        )
        ended = UserLoggedOut(
            user_id=principal.user_id,
            method="web_session",
            address=client.address if client else None,
            user_agent=client.user_agent if client else None,
        )
        await events.write(tx.session, ended, on=principal)
