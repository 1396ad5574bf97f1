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
    UserSignInFailed,
)
from kasa_gateway.app.actors import SYSTEM, user_actor
from kasa_gateway.app.email_addresses import AddressMail, mail_link
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.db.tables import Membership, RefreshToken, User, Workspace
from kasa_gateway.domain.client_address import throttle_key
from kasa_gateway.domain.errors import (
    EmailTaken,
    RefreshRefused,
    TooManyAttempts,
    UnknownEntity,
    WeakPassword,
    WrongCredentials,
)
from kasa_gateway.domain.login_throttle import ThrottlePolicy, seconds_to_wait
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


def throttle_policy(settings: GatewaySettings) -> ThrottlePolicy:
    return ThrottlePolicy(
        failures_before_delay=settings.login_failures_before_delay,
        first_delay=timedelta(seconds=settings.login_first_delay_seconds),
        max_delay=timedelta(minutes=settings.login_max_delay_minutes),
        forget_after=timedelta(minutes=settings.login_failure_window_minutes),
    )


@dataclass(frozen=True)
class Client:
    """Where a request comes from: the client's address and the ``User-Agent`` it sent."""

    address: str
    user_agent: str | None = None


@dataclass(frozen=True)
class Credentials:
    """What a sign-in presents, and from where."""

    email: str
    password: str
    address: str
    user_agent: str | None = None

    @property
    def client(self) -> Client:
        return Client(self.address, self.user_agent)


def check_password(password: str, email: str) -> None:
    if problems := password_problems(password, email):
        raise WeakPassword(problems)


async def register(
    store: IdentityStore,
    events: EventWriter,
    limiters: Limiters,
    mail: AddressMail,
    *,
    address: str,
    email: str,
    password: str,
    name: str,
    workspace_name: str,
    user_agent: str | None = None,
) -> tuple[User, Workspace]:
    """A new account owning a new workspace; its address is mailed a link that proves it.

    A taken email is refused as such (409). The per-address limit, checked first, bounds how
    many emails one address can probe that way."""
    decision = await limiters.register_per_address.hit(throttle_key(address))
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
        registered = UserRegistered(
            user_id=user.id,
            name=user.name,
            workspace_name=workspace.name,
            address=address,
            user_agent=user_agent,
        )
        await events.write(tx.session, registered, on=At(workspace.id, user_actor(user)))
        await mail_link(tx, mail, user, email, workspace.id, now)
    return user, workspace


async def authenticate(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    limiters: Limiters,
    credentials: Credentials,
) -> tuple[User, Membership]:
    """Check a sign-in; unknown email and wrong password get the same answer in the same time.

    Failures count per account and address: an address that failed too often for an account
    waits, growing longer with each further failure, before it may try that account again,
    whatever password it then brings. Other addresses are not held back.
    """
    email = credentials.email.strip().lower()
    address = throttle_key(credentials.address)
    for limiter, key, detail in (
        (limiters.login_per_address, address, "from this address"),
        (limiters.login_per_account_address, f"{address} {email}", "for this account"),
    ):
        decision = await limiter.hit(key)
        if not decision.allowed:
            raise TooManyAttempts(f"too many sign-in attempts {detail}", decision.reset_after)
    async with store.reading() as tx:
        wait = seconds_to_wait(await tx.sign_in_blocked_until(email, address), utcnow())
    if wait:
        raise TooManyAttempts("too many failed sign-ins; try again later", wait)
    async with store.reading() as tx:
        user = await tx.user_by_email(email)
        # The same queries run for an unknown email, so timing does not tell them apart.
        membership = await tx.first_membership(user.id if user else new_id())
    verified = await verify_password(user.password_hash if user else None, credentials.password)
    if not (verified and user and membership):
        async with store.transaction() as tx:
            failure = await tx.record_failure(throttle_policy(settings), email, address)
            if user and membership:
                await failed(tx, events, user, membership, failure.failures, credentials)
                if failure.blocked_until:
                    locked_out = UserLockedOut(
                        user_id=user.id,
                        failures=failure.failures,
                        locked_until=failure.blocked_until,
                        address=credentials.address,
                        user_agent=credentials.user_agent,
                    )
                    where = At(membership.workspace_id, SYSTEM)
                    await events.write(tx.session, locked_out, on=where)
        raise WrongCredentials
    return user, membership


async def failed(
    tx: Identities,
    events: EventWriter,
    user: User,
    membership: Membership,
    failures: int,
    credentials: Credentials,
) -> None:
    """A wrong password for a real account: recorded in its first workspace, by the system
    (whoever tried is not known to be the account's owner)."""
    event = UserSignInFailed(
        user_id=user.id,
        failures=failures,
        address=credentials.address,
        user_agent=credentials.user_agent,
    )
    await events.write(tx.session, event, on=At(membership.workspace_id, SYSTEM))


async def issue_tokens(
    tx: Identities,
    settings: GatewaySettings,
    keys: KeyRing,
    user: User,
    membership: Membership,
    family_id: UUID | None = None,
    client: Client | None = None,
) -> IssuedTokens:
    """A new access token and refresh token, stored in the caller's unit of work; ``client``
    is where the session started, shown to the workspace's admins with its sessions."""
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
            address=client.address if client else None,
            user_agent=client.user_agent if client else None,
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
        operator=user.instance_operator,
        email_verified=user.email_verified_at is not None,
        now=now,
    )
    return IssuedTokens(access, refresh, expires_in, family_id)


async def logged_in(
    tx: Identities,
    events: EventWriter,
    user: User,
    membership: Membership,
    method: str,
    client: Client,
) -> None:
    """A sign-in into ``membership``'s workspace succeeded: the failures from its address are
    forgiven (an attacker's elsewhere are not)."""
    await tx.clear_failures(user.email, throttle_key(client.address))
    event = UserLoggedIn(
        user_id=user.id, method=method, address=client.address, user_agent=client.user_agent
    )
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
        tokens = await issue_tokens(tx, settings, keys, user, membership, client=credentials.client)
        await logged_in(tx, events, user, membership, "token", credentials.client)
    return tokens


async def refresh(
    store: IdentityStore, settings: GatewaySettings, keys: KeyRing, token: str, events: EventWriter
) -> IssuedTokens:
    """Rotate a refresh token; a reused one revokes its whole family, access tokens included."""
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
                # The family keeps the client of its sign-in through every rotation.
                started = Client(row.address, row.user_agent) if row.address else None
                return await issue_tokens(
                    tx, settings, keys, user, membership, row.family_id, started
                )
            # Removed from the workspace since: the session ends here.
        else:
            reused = True
        ended = await tx.revoke_families([row.family_id])
        # A reused token may be a stolen copy: whoever holds the family's access token loses
        # it too. Recorded by the gateway, which noticed, not by the token's holder.
        await announce(
            tx,
            events,
            settings,
            At(row.workspace_id, SYSTEM),
            user_id=row.user_id,
            sessions=ended,
            reason="refresh_reused" if reused else "member_removed",
            workspace_id=row.workspace_id,
        )
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
    client: Client | None = None,
    settings: GatewaySettings,
) -> None:
    """End the session of a refresh token and/or the one the caller's access token names;
    their access tokens are refused everywhere from now on."""
    async with store.transaction() as tx:
        ended = None
        by_refresh: list[UUID] = []
        by_bearer: list[UUID] = []
        if refresh_token:
            ended = await tx.refresh_token(secret_hash(refresh_token))
            if ended is not None:
                by_refresh = await tx.revoke_families([ended.family_id])
        if principal and session_id:
            by_bearer = await tx.revoke_session(session_id)
        if principal:
            user_id, origin = principal.user_id, principal
        elif ended:
            user_id = ended.user_id
            actor = Actor(type="user", id=str(user_id), name=await tx.user_name(user_id))
            origin = At(ended.workspace_id, actor)
        else:
            return
        ended_event = UserLoggedOut(
            user_id=user_id,
            method="token",
            address=client.address if client else None,
            user_agent=client.user_agent if client else None,
        )
        await events.write(tx.session, ended_event, on=origin)
        if ended is not None:
            await announce(
                tx,
                events,
                settings,
                origin,
                user_id=ended.user_id,
                sessions=by_refresh,
                reason="logged_out",
                workspace_id=ended.workspace_id,
            )
        if principal is not None:
            await announce(
                tx,
                events,
                settings,
                origin,
                user_id=principal.user_id,
                sessions=[s for s in by_bearer if s not in by_refresh],
                reason="logged_out",
                workspace_id=principal.workspace_id,
            )


async def switch_workspace(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    keys: KeyRing,
    principal: Principal,
    workspace_id: UUID,
    client: Client | None = None,
) -> IssuedTokens:
    """New tokens acting in another workspace the caller belongs to."""
    async with store.transaction() as tx:
        user, membership = await member_of(tx, principal, workspace_id)
        tokens = await issue_tokens(tx, settings, keys, user, membership, client=client)
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
