"""The caller's own account: who they are and where they act, their name and language, and
their password."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from kasa_contracts.changes import diff
from kasa_contracts.events.identity import PasswordChanged, ProfileChanged
from kasa_gateway.app.accounts import check_password
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.db.tables import User, Workspace
from kasa_gateway.domain.errors import AccountGone, TooManyAttempts, WrongPassword
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.passwords import hash_password, verify_password
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter


@dataclass(frozen=True)
class Me:
    user: User
    workspace: Workspace
    role: str
    pending_email: str | None = None
    """The address a change waits to move to, until its link is opened."""


async def me(store: IdentityStore, principal: Principal) -> Me:
    """The caller's account and the workspace their token acts in."""
    async with store.reading() as tx:
        user = await tx.user(principal.user_id)
        workspace = await tx.workspace(principal.workspace_id)
        pending = await tx.pending_email(principal.user_id, utcnow())
    if user is None or workspace is None:
        raise AccountGone
    return Me(user, workspace, principal.role, pending)


async def update_profile(
    store: IdentityStore, events: EventWriter, principal: Principal, wanted: dict[str, Any]
) -> None:
    """Change the fields of ``wanted`` (name, locale); nothing changed, nothing recorded."""
    async with store.transaction() as tx:
        user = await tx.user(principal.user_id)
        if user is None:
            raise AccountGone
        before = {"name": user.name, "locale": user.locale}
        after = {**before, **wanted}
        if after != before:
            await tx.update_user(user.id, **wanted)
            changed = ProfileChanged(user_id=user.id, changes=diff(before, after))
            await events.write(tx.session, changed, on=principal)


async def change_password(
    store: IdentityStore,
    events: EventWriter,
    limiters: Limiters,
    principal: Principal,
    session_id: UUID | None,
    *,
    current: str,
    new: str,
    settings: GatewaySettings,
) -> None:
    """Change the password; every other session of the account is revoked, and their access
    tokens are refused everywhere."""
    decision = await limiters.login_per_account_address.hit(f"password:{principal.user_id}")
    if not decision.allowed:
        raise TooManyAttempts("too many password attempts", decision.reset_after)
    async with store.reading() as tx:
        user = await tx.user(principal.user_id)
    if user is None:
        raise AccountGone
    if not await verify_password(user.password_hash, current):
        raise WrongPassword
    check_password(new, user.email)
    new_hash = await hash_password(new)
    async with store.transaction() as tx:
        await tx.update_user(user.id, password_hash=new_hash)
        ended = await tx.revoke_other_sessions(user.id, keep=session_id)
        await announce(
            tx,
            events,
            settings,
            principal,
            user_id=user.id,
            sessions=ended,
            reason="password_changed",
            workspace_id=None,
        )
        changes = diff({"password": "old"}, {"password": "new"}, secret=["password"])
        await events.write(
            tx.session, PasswordChanged(user_id=user.id, changes=changes), on=principal
        )
