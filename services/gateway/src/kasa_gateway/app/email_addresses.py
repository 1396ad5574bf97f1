"""Proving an email address, and changing it.

A new account is mailed a link that proves its address. Until it is opened the account works
in its own workspace but sends nothing to anyone else: no invitations, no mail to clients
(the token's ``email_verified`` claim says which). Changing the address mails a link to the
new one, which takes over only once it is opened; the old address is then told.

Each link's token is kept only as a hash, works once and expires
(``EMAIL_VERIFICATION_HOURS``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.identity import EmailChanged, EmailChangeRequested, EmailVerified
from kasa_gateway.app.actors import user_actor
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.db.tables import EmailVerification, User
from kasa_gateway.domain.errors import (
    AccountGone,
    AlreadyVerified,
    EmailTaken,
    SameEmail,
    TooManyAttempts,
    VerificationLinkRefused,
    WrongPassword,
)
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.opaque import new_secret, secret_hash
from kasa_gateway.tokens.passwords import verify_password
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id
from kasa_servicekit.mail_outbox import Mail, queue_mail
from kasa_servicekit.mail_templates import MailTemplates

VERIFY_PATH = "/verify-email"
"""The web's page a verification link opens; the token follows in the query."""


@dataclass(frozen=True)
class AddressMail:
    """How links that prove addresses reach people: the gateway's mail and its settings."""

    templates: MailTemplates
    settings: GatewaySettings

    async def queue(self, session: AsyncSession, mail: Mail) -> None:
        """Queue ``mail`` in the caller's transaction (the mail outbox)."""
        await queue_mail(session, mail)


@dataclass(frozen=True)
class Verified:
    user_id: UUID
    email: str
    changed: bool
    """The link proved a new address, which is now the account's."""


async def mail_link(
    tx: Identities,
    mail: AddressMail,
    user: User,
    email: str,
    workspace_id: UUID,
    now: datetime,
) -> None:
    """Queue a link proving ``email`` (the account's own, or the one it changes to) in ``tx``."""
    settings = mail.settings
    token = new_secret()
    link = EmailVerification(
        id=new_id(),
        user_id=user.id,
        email=email,
        token_hash=secret_hash(token),
        expires_at=now + timedelta(hours=settings.email_verification_hours),
        created_at=now,
    )
    await tx.add(link)
    rendered = mail.templates.render(
        "verify_email",
        user.locale,
        name=user.name,
        email=email,
        change=email != user.email,
        url=mail.templates.link(f"{VERIFY_PATH}?token={token}"),
        hours=settings.email_verification_hours,
    )
    await mail.queue(
        tx.session,
        rendered.to(
            email,
            dedupe_key=f"email-verification:{link.id}",
            kind="email_verification",
            workspace_id=workspace_id,
        ),
    )


async def _within_budget(tx: Identities, settings: GatewaySettings, user_id: UUID) -> None:
    # Counted in the database, so the budget holds across gateway instances and restarts.
    sent = await tx.email_verifications_since(user_id, utcnow() - timedelta(hours=1))
    if sent >= settings.email_verifications_per_account_hour:
        raise TooManyAttempts("too many verification mails this hour; try again later", 3600)


async def resend(store: IdentityStore, mail: AddressMail, principal: Principal) -> None:
    """Mail the account's own address a new link, unless it is proven already."""
    async with store.transaction() as tx:
        user = await tx.user(principal.user_id)
        if user is None:
            raise AccountGone
        if user.email_verified_at is not None:
            raise AlreadyVerified
        await _within_budget(tx, mail.settings, user.id)
        await mail_link(tx, mail, user, user.email, principal.workspace_id, utcnow())


async def request_change(
    store: IdentityStore,
    events: EventWriter,
    limiters: Limiters,
    mail: AddressMail,
    principal: Principal,
    *,
    email: str,
    password: str,
) -> None:
    """Mail a link to ``email``; it becomes the account's address once the link is opened.

    The password is asked for, as for a password change: whoever holds an open session must
    not be able to move the account to an address of their own."""
    decision = await limiters.login_per_account_address.hit(f"password:{principal.user_id}")
    if not decision.allowed:
        raise TooManyAttempts("too many password attempts", decision.reset_after)
    email = email.strip().lower()
    async with store.reading() as tx:
        user = await tx.user(principal.user_id)
    if user is None:
        raise AccountGone
    if not await verify_password(user.password_hash, password):
        raise WrongPassword
    if email == user.email:
        raise SameEmail
    async with store.transaction() as tx:
        if await tx.email_taken(email):
            raise EmailTaken
        await _within_budget(tx, mail.settings, user.id)
        await mail_link(tx, mail, user, email, principal.workspace_id, utcnow())
        requested = EmailChangeRequested(user_id=user.id, email=email)
        await events.write(tx.session, requested, on=principal)


async def verify(
    store: IdentityStore, events: EventWriter, mail: AddressMail, token: str
) -> Verified:
    """Open a verification link: prove the account's address, or move it to the new one."""
    now = utcnow()
    async with store.transaction() as tx:
        link = await tx.email_verification_by_token(secret_hash(token))
        if link is None or link.used_at is not None or link.expires_at <= now:
            raise VerificationLinkRefused
        user = await tx.user(link.user_id)
        membership = await tx.first_membership(link.user_id)
        if user is None or membership is None:
            raise VerificationLinkRefused
        origin = At(membership.workspace_id, user_actor(user))
        if link.email == user.email:
            # Proven once is enough: this link and the account's others to this address die
            # with it; a pending change to another address stays.
            await tx.end_email_verifications(user.id, now, email=user.email)
            if user.email_verified_at is None:
                await tx.update_user(user.id, email_verified_at=now)
                await events.write(tx.session, EmailVerified(user_id=user.id), on=origin)
            return Verified(user.id, user.email, changed=False)
        if await tx.email_taken(link.email):
            raise EmailTaken
        old = user.email
        await tx.update_user(user.id, email=link.email, email_verified_at=now)
        await tx.end_email_verifications(user.id, now)  # this link and every other
        changed = EmailChanged(user_id=user.id, changes=diff({"email": old}, {"email": link.email}))
        await events.write(tx.session, changed, on=origin)
        await _tell_old_address(tx, mail, user, old, link.email, membership.workspace_id, link)
        return Verified(user.id, link.email, changed=True)


async def _tell_old_address(
    tx: Identities,
    mail: AddressMail,
    user: User,
    old: str,
    new: str,
    workspace_id: UUID,
    link: EmailVerification,
) -> None:
    """The old address learns of the change: if it was not its owner's doing, they know whom
    to ask (an attacker with a session and the password would otherwise move in silently)."""
    rendered = mail.templates.render(
        "email_changed",
        user.locale,
        name=user.name,
        old=old,
        new=new,
        url=mail.templates.link("/forgot-password"),
    )
    await mail.queue(
        tx.session,
        rendered.to(
            old,
            dedupe_key=f"email-changed:{link.id}",
            kind="email_changed",
            workspace_id=workspace_id,
        ),
    )
