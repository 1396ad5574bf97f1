"""Accounts and API sessions: register, log in, refresh, log out, switch workspace.

A refresh token is opaque, stored only as a hash, and single use: redeeming it returns a new
one of the same family. Presenting a used token again means it was copied, so its whole
family is revoked.
"""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from kasa_contracts import Actor
from kasa_contracts.events.identity import (
    UserLockedOut,
    UserLoggedIn,
    UserLoggedOut,
    UserRegistered,
)
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.db.tables import Membership, RefreshToken, User, Workspace
from kasa_gateway.domain.errors import (
    EmailTaken,
    RefreshRefused,
    TooManyAttempts,
    UnknownEntity,
    WeakPassword,
    WrongCredentials,
)
from kasa_gateway.domain.login_throttle import LockoutPolicy, seconds_locked
from kasa_gateway.domain.password_policy import password_problems
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.access import IssuedTokens, access_token
from kasa_gateway.tokens.opaque import new_secret, secret_hash
from kasa_gateway.tokens.passwords import hash_password, verify_password
from kasa_gateway.tokens.signing_keys import KeyRing
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id

SYSTEM = Actor(type="system", id="gateway")


def user_actor(user: User) -> Actor:
    return Actor(type="user", id=str(user.id), name=user.name)


def lockout_policy(settings: GatewaySettings) -> LockoutPolicy:
    return LockoutPolicy(
        failures_before_lockout=settings.login_failures_before_lockout,
        failure_window=timedelta(minutes=settings.login_failure_window_minutes),
        lockout=timedelta(minutes=settings.lockout_minutes),
    )


@dataclass(frozen=True)
class Credentials:
    """What a sign-in presents, and from where."""

    email: str
    password: str
    address: str


def check_password(password: str, email: str) -> None:
    if problems := password_problems(password, email):
        raise WeakPassword(problems)


async def register(
    store: IdentityStore,
    events: EventWriter,
    limiters: Limiters,
    *,
    address: str,
    email: str,
    password: str,
    name: str,
    workspace_name: str,
) -> tuple[User, Workspace]:
    """A new account owning a new workspace."""
    decision = limiters.register_per_address.hit(address)
    if not decision.allowed:
        raise TooManyAttempts("too many registrations from this address", decision.reset_after)
    email = email.lower()
    check_password(password, email)
    password_hash = await hash_password(password)
    now = utcnow()
    user = User(id=new_id(), email=email, name=name, password_hash=password_hash, created_at=now)
    workspace = Workspace(id=new_id(), name=workspace_name, created_at=now)
    async with store.transaction() as tx:
        if await tx.email_taken(email):
            raise EmailTaken
        await tx.add(user, workspace)
        await tx.add(
            Membership(user_id=user.id, workspace_id=workspace.id, role="owner", created_at=now)
        )
        registered = UserRegistered(user_id=user.id, name=user.name, workspace_name=workspace.name)
        await events.write(tx.session, registered, on=At(workspace.id, user_actor(user)))
    return user, workspace


async def authenticate(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    limiters: Limiters,
    credentials: Credentials,
) -> tuple[User, Membership]:
    """Check a sign-in; unknown email and wrong password get the same answer in the same time."""
    email = credentials.email.strip().lower()
    for limiter, key, detail in (
        (limiters.login_per_address, credentials.address, "from this address"),
        (limiters.login_per_account, email, "for this account"),
    ):
        decision = limiter.hit(key)
        if not decision.allowed:
            raise TooManyAttempts(f"too many sign-in attempts {detail}", decision.reset_after)
    async with store.reading() as tx:
        locked = seconds_locked(await tx.locked_until(email), utcnow())
    if locked:
        raise TooManyAttempts("too many failed sign-ins; try again later", locked)
    async with store.reading() as tx:
        user = await tx.user_by_email(email)
        # The same queries run for an unknown email, so timing does not tell them apart.
        membership = await tx.first_membership(user.id if user else new_id())
    verified = await verify_password(user.password_hash if user else None, credentials.password)
    if not (verified and user and membership):
        async with store.transaction() as tx:
            failure = await tx.record_failure(lockout_policy(settings), email)
            if failure.locked_until and user and membership:
                locked_out = UserLockedOut(
                    user_id=user.id, failures=failure.failures, locked_until=failure.locked_until
                )
                await events.write(tx.session, locked_out, on=At(membership.workspace_id, SYSTEM))
        raise WrongCredentials
    return user, membership


async def issue_tokens(
    tx: Identities,
    settings: GatewaySettings,
    keys: KeyRing,
    user: User,
    membership: Membership,
    family_id: UUID | None = None,
) -> IssuedTokens:
    """A new access token and refresh token, stored in the caller's unit of work."""
    now = utcnow()
    family_id = family_id or new_id()
    refresh = new_secret()
    await tx.add(
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


async def logged_in(
    tx: Identities, events: EventWriter, user: User, membership: Membership, method: str
) -> None:
    """A sign-in into ``membership``'s workspace succeeded: the failures so far are forgiven."""
    await tx.clear_failures(user.email)
    event = UserLoggedIn(user_id=user.id, method=method)
    await events.write(tx.session, event, on=At(membership.workspace_id, user_actor(user)))


async def log_in(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    keys: KeyRing,
    limiters: Limiters,
    credentials: Credentials,
) -> IssuedTokens:
    """Sign in with email and password: an access token and a refresh token."""
    user, membership = await authenticate(store, events, settings, limiters, credentials)
    async with store.transaction() as tx:
        tokens = await issue_tokens(tx, settings, keys, user, membership)
        await logged_in(tx, events, user, membership, "token")
    return tokens


async def refresh(
    store: IdentityStore, settings: GatewaySettings, keys: KeyRing, token: str
) -> IssuedTokens:
    """Rotate a refresh token; a reused one revokes its whole family."""
    now = utcnow()
    reused = False
    async with store.transaction() as tx:
        row = await tx.refresh_token(secret_hash(token))
        if row is None or row.expires_at <= now:
            raise RefreshRefused
        if await tx.use_refresh_token(row.id, now):
            user = await tx.user(row.user_id)
            membership = await tx.membership(row.user_id, row.workspace_id)
            if user is not None and membership is not None:
                return await issue_tokens(tx, settings, keys, user, membership, row.family_id)
            # Removed from the workspace since: the session ends here.
        else:
            reused = True
        await tx.revoke_families([row.family_id])
    # Refused only now, after the commit: the revocation must hold.
    if reused:
        raise RefreshRefused("refresh token reused; its session has been revoked")
    raise RefreshRefused


async def log_out(
    store: IdentityStore,
    events: EventWriter,
    *,
    principal: Principal | None,
    session_id: UUID | None,
    refresh_token: str | None,
) -> None:
    """End the session of a refresh token and/or the one the caller's access token names."""
    async with store.transaction() as tx:
        ended = None
        if refresh_token:
            ended = await tx.refresh_token(secret_hash(refresh_token))
            if ended is not None:
                await tx.revoke_families([ended.family_id])
        if principal and session_id:
            await tx.revoke_session(session_id)
        if principal:
            user_id, origin = principal.user_id, principal
        elif ended:
            user_id = ended.user_id
            actor = Actor(type="user", id=str(user_id), name=await tx.user_name(user_id))
            origin = At(ended.workspace_id, actor)
        else:
            return
        await events.write(tx.session, UserLoggedOut(user_id=user_id, method="token"), on=origin)


async def switch_workspace(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    keys: KeyRing,
    principal: Principal,
    workspace_id: UUID,
) -> IssuedTokens:
    """New tokens acting in another workspace the caller belongs to."""
    async with store.transaction() as tx:
        user, membership = await member_of(tx, principal, workspace_id)
        tokens = await issue_tokens(tx, settings, keys, user, membership)
        await events.write(
            tx.session,
            UserLoggedIn(user_id=user.id, method="switch"),
            on=At(membership.workspace_id, user_actor(user)),
        )
    return tokens


async def member_of(
    tx: Identities, principal: Principal, workspace_id: UUID
) -> tuple[User, Membership]:
    """The caller and their membership of ``workspace_id``; not found unless they have one."""
    user = await tx.user(principal.user_id)
    membership = await tx.membership(principal.user_id, workspace_id)
    if user is None or membership is None:
        raise UnknownEntity("workspace")
    return user, membership
