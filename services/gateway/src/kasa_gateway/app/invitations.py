"""Inviting people to a workspace by email, and accepting an invitation.

The invited address gets a mail with the link, queued with the invitation (ADR 0023); the
answer carries the link too, for the inviter to pass on another way. The token in it is kept
only as a hash; it works once, for the invited email, until it expires or is withdrawn.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.events.identity import InvitationRevoked, MemberAdded, MemberInvited
from kasa_gateway.app.workspaces import manager_membership
from kasa_gateway.db.identities import Identities, IdentityStore
from kasa_gateway.db.tables import Invitation, Membership, Workspace
from kasa_gateway.domain.errors import AlreadyMember, NotAllowed, TooManyAttempts, UnknownEntity
from kasa_gateway.domain.rate_limits import Limiter
from kasa_gateway.domain.roles import can_assign
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.opaque import new_secret, secret_hash
from kasa_servicekit.auth import Principal, require_verified_email
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import At, EventWriter
from kasa_servicekit.ids import new_id
from kasa_servicekit.mail_outbox import Mail, queue_mail
from kasa_servicekit.mail_templates import MailTemplates


@dataclass(frozen=True)
class InvitationMail:
    """How invitations reach people: the gateway's mail, and the budget of renewed links."""

    templates: MailTemplates
    resends: Limiter
    """Renewed links per invitation; each one mails the invited address again."""

    async def queue(self, session: AsyncSession, mail: Mail) -> None:
        """Queue ``mail`` in the caller's transaction (the mail outbox)."""
        await queue_mail(session, mail)


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    token: str
    """Shown once, in ``url``."""
    url: str


async def invite(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    mail: InvitationMail,
    principal: Principal,
    email: str,
    role: str,
) -> Invited:
    """Invite an email address to the current workspace (owners and admins) whose own
    address is proven: an invitation is mail in their name."""
    require_verified_email(principal, "invite anyone")
    email = email.lower()
    token = new_secret()
    now = utcnow()
    async with store.transaction() as tx:
        me = await manager_membership(tx, principal)
        if not can_assign(me.role, role, role):
            raise NotAllowed("only owners invite owners")
        if await tx.is_member(principal.workspace_id, email):
            raise AlreadyMember
        invitation = Invitation(
            id=new_id(),
            workspace_id=principal.workspace_id,
            email=email,
            role=role,
            token_hash=secret_hash(token),
            invited_by=principal.user_id,
            expires_at=now + timedelta(days=settings.invitation_days),
            created_at=now,
        )
        await tx.add(invitation)
        invited = MemberInvited(invitation_id=invitation.id, email=email, role=role)
        await events.write(tx.session, invited, on=principal)
        await _mail(tx, mail, settings, principal, invitation, token)
    return Invited(invitation, token, _link(settings, token))


async def _mail(
    tx: Identities,
    mail: InvitationMail,
    settings: GatewaySettings,
    principal: Principal,
    invitation: Invitation,
    token: str,
) -> None:
    """Queue the invitation's mail in ``tx``, in the inviter's language (the invited person's
    is not known yet)."""
    inviter = await tx.user(principal.user_id)
    workspace = await tx.workspace(invitation.workspace_id)
    rendered = mail.templates.render(
        "invitation",
        inviter.locale if inviter else None,
        inviter=inviter.name if inviter else "",
        workspace=workspace.name if workspace else "",
        role=invitation.role,
        url=_link(settings, token),
        days=settings.invitation_days,
    )
    await mail.queue(
        tx.session,
        rendered.to(
            invitation.email,
            dedupe_key=f"invitation:{invitation.id}:{invitation.token_hash[:16]}",
            kind="invitation",
            workspace_id=invitation.workspace_id,
        ),
    )


def _link(settings: GatewaySettings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/invitations/accept#token={token}"


async def resend(
    store: IdentityStore,
    events: EventWriter,
    settings: GatewaySettings,
    mail: InvitationMail,
    principal: Principal,
    invitation_id: UUID,
) -> Invited:
    """A new link for an invitation not yet accepted or withdrawn (owners and admins).

    The token is replaced, so the old link stops working, and the invitation runs for
    ``invitation_days`` again, also when it had expired. Recorded as the same invitation
    made again, and mailed again: at most ``INVITATION_RESENDS_PER_HOUR`` times an hour.
    """
    require_verified_email(principal, "invite anyone")
    decision = await mail.resends.hit(f"invitation:{invitation_id}")
    if not decision.allowed:
        raise TooManyAttempts("this invitation was sent again too often", decision.retry_after)
    token = new_secret()
    now = utcnow()
    async with store.transaction() as tx:
        me = await manager_membership(tx, principal)
        invitation = await tx.invitation(invitation_id)
        if (
            invitation is None
            or invitation.workspace_id != principal.workspace_id
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
        ):
            raise UnknownEntity("invitation")
        if not can_assign(me.role, invitation.role, invitation.role):
            raise NotAllowed("only owners invite owners")
        invitation.token_hash = secret_hash(token)
        invitation.expires_at = now + timedelta(days=settings.invitation_days)
        again = MemberInvited(
            invitation_id=invitation.id, email=invitation.email, role=invitation.role
        )
        await events.write(tx.session, again, on=principal)
        await _mail(tx, mail, settings, principal, invitation, token)
    return Invited(invitation, token, _link(settings, token))


async def pending(store: IdentityStore, principal: Principal) -> Sequence[Invitation]:
    """Invitations of the current workspace not yet accepted, revoked or expired."""
    async with store.reading() as tx:
        await manager_membership(tx, principal)
        return await tx.pending_invitations(principal.workspace_id, utcnow())


async def revoke(
    store: IdentityStore, events: EventWriter, principal: Principal, invitation_id: UUID
) -> None:
    """Withdraw an invitation (owners and admins); withdrawing it again changes nothing."""
    async with store.transaction() as tx:
        await manager_membership(tx, principal)
        invitation = await tx.invitation(invitation_id)
        if invitation is None or invitation.workspace_id != principal.workspace_id:
            raise UnknownEntity("invitation")
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = utcnow()
            revoked = InvitationRevoked(invitation_id=invitation.id, email=invitation.email)
            await events.write(tx.session, revoked, on=principal)


async def accept(
    store: IdentityStore, events: EventWriter, principal: Principal, token: str
) -> tuple[Workspace, str]:
    """Join the workspace of an invitation made out to the caller's email; it and the role."""
    now = utcnow()
    async with store.transaction() as tx:
        invitation = await tx.invitation_by_token(secret_hash(token))
        user = await tx.user(principal.user_id)
        # Every reason to refuse gets the same answer: the token is worth nothing to others.
        if (
            invitation is None
            or user is None
            or invitation.email != user.email
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= now
        ):
            raise UnknownEntity("invitation")
        workspace = await tx.workspace(invitation.workspace_id)
        assert workspace is not None
        invitation.accepted_at = now
        existing = await tx.membership(user.id, invitation.workspace_id)
        if existing is None:
            await tx.add(
                Membership(
                    user_id=user.id,
                    workspace_id=invitation.workspace_id,
                    role=invitation.role,
                    created_at=now,
                )
            )
            added = MemberAdded(user_id=user.id, role=invitation.role, invitation_id=invitation.id)
            # The caller's change, recorded in the workspace they joined.
            await events.write(tx.session, added, on=At(invitation.workspace_id, principal.actor))
        role = existing.role if existing else invitation.role
    return workspace, role
