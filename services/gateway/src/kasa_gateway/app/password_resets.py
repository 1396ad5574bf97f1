"""Forgotten passwords: a single-use link by mail, and setting a new password with it.

Asking answers the same whether or not the account exists, and sends nothing for an unknown
address. The link's token is kept only as a hash and expires (``PASSWORD_RESET_MINUTES``).
Using it sets the password, ends every other reset link and every session of the account.
"""

from dataclasses import dataclass
from datetime import timedelta

from kasa_contracts.events.identity import PasswordReset as PasswordWasReset
from kasa_contracts.events.identity import PasswordResetRequested
from kasa_gateway.app.accounts import Client, check_password
from kasa_gateway.app.actors import SYSTEM, user_actor
from kasa_gateway.app.revocations import announce
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.db.tables import PasswordReset
from kasa_gateway.domain.errors import ResetLinkRefused, TooManyAttempts
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.opaque import new_secret, secret_hash
from kasa_gateway.tokens.passwords import hash_password
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id
from kasa_servicekit.mail_outbox import queue_mail
from kasa_servicekit.mail_templates import MailTemplates

RESET_PATH = "/reset-password"
"""The web's page a reset link opens; the token follows in the query."""


@dataclass(frozen=True)
class ResetMail:
    templates: MailTemplates
    settings: GatewaySettings


async def request_reset(
    store: IdentityStore,
    events: EventWriter,
    limiters: Limiters,
    mail: ResetMail,
    email: str,
    client: Client,
) -> None:
    """Send a reset link to ``email`` if it has an account and its hourly budget allows.

    The per-address limit is checked before the account is looked up, so its refusal tells
    nothing about the account; the per-account budget is silent for the same reason.
    """
    decision = await limiters.reset_per_address.hit(f"reset:{client.address}")
    if not decision.allowed:
        raise TooManyAttempts("too many reset requests from this address", decision.retry_after)
    settings = mail.settings
    now = utcnow()
    async with store.transaction() as tx:
        user = await tx.user_by_email(email.lower())
        if user is None:
            return
        membership = await tx.first_membership(user.id)
        sent = await tx.password_resets_since(user.id, now - timedelta(hours=1))
        if sent >= settings.password_resets_per_account_hour or membership is None:
            return
        token = new_secret()
        reset = PasswordReset(
            id=new_id(),
            user_id=user.id,
            token_hash=secret_hash(token),
            requested_from=client.address,
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
            created_at=now,
        )
        await tx.add(reset)
        rendered = mail.templates.render(
            "password_reset",
            user.locale,
            name=user.name,
            url=mail.templates.link(f"{RESET_PATH}?token={token}"),
            minutes=settings.password_reset_minutes,
            address=client.address,
        )
        await queue_mail(
            tx.session,
            rendered.to(
                user.email,
                dedupe_key=f"password-reset:{reset.id}",
                kind="password_reset",
                workspace_id=membership.workspace_id,
            ),
        )
        # By the system: whoever asked is not known to be the account's owner.
        requested = PasswordResetRequested(
            user_id=user.id, address=client.address, user_agent=client.user_agent
        )
        await events.write(tx.session, requested, on=At(membership.workspace_id, SYSTEM))


async def reset_password(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    token: str,
    password: str,
    client: Client,
) -> None:
    """Set a new password with a reset link's token; every session of the account ends."""
    now = utcnow()
    async with store.transaction() as tx:
        reset = await tx.password_reset_by_token(secret_hash(token))
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise ResetLinkRefused
        user = await tx.user(reset.user_id)
        membership = await tx.first_membership(reset.user_id)
        if user is None or membership is None:
            raise ResetLinkRefused
        check_password(password, user.email)
        await tx.update_user(user.id, password_hash=await hash_password(password))
        await tx.end_password_resets(user.id, now)
        ended = await tx.revoke_all_sessions(user.id)
        origin = At(membership.workspace_id, user_actor(user))
        await announce(
            tx,
            events,
            settings,
            origin,
            user_id=user.id,
            sessions=ended,
            reason="password_reset",
            workspace_id=None,
        )
        done = PasswordWasReset(
            user_id=user.id, address=client.address, user_agent=client.user_agent
        )
        await events.write(tx.session, done, on=origin)
