"""Security notices: the owners of a workspace hear by mail of changes an intruder would make.

The payout IBAN on the invoices changed, a bank connection's credentials were replaced, an
account of the workspace was locked after failed sign-ins, or its password was reset. The
gateway knows the owners and their language, so it mails them, fed by the events of the
service that made the change (ADR 0025).

Each mail's dedupe key comes from its event, so a redelivered or replayed event never mails
twice; a lock-out is told at most once an hour per account and address, however long an
attacker keeps trying.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.identity import PasswordReset, UserLockedOut
from kasa_contracts.events.integrations import PluginConfigured
from kasa_contracts.events.invoicing import SupplierProfileUpdated
from kasa_gateway.db.identities import Identities
from kasa_gateway.db.tables import User
from kasa_servicekit.events import EventWriter
from kasa_servicekit.mail_outbox import queue_mail
from kasa_servicekit.mail_templates import MailTemplates

AUDIT_PATH = "/audit"
"""The web's audit trail, where an owner sees who changed what."""


def masked_iban(value: Any) -> str:
    """An IBAN as a notice shows it: enough to recognise, not enough to copy."""
    text = "".join(str(value or "").split())
    return f"{text[:4]} … {text[-4:]}" if len(text) > 8 else (text or "—")


@dataclass(frozen=True)
class SecurityNotices:
    """The handlers of the events that warrant a notice, and the mail they queue."""

    templates: MailTemplates

    async def supplier_profile_updated(
        self, session: AsyncSession, event: Envelope[SupplierProfileUpdated], _: EventWriter
    ) -> None:
        iban = event.payload.changes.get("iban")
        # A first IBAN is the workspace being set up; one replaced redirects the payments.
        if iban is None or not iban.before:
            return
        details = {"before": masked_iban(iban.before), "after": masked_iban(iban.after)}
        await self._tell_owners(session, event, "payout_iban", details)

    async def plugin_configured(
        self, session: AsyncSession, event: Envelope[PluginConfigured], _: EventWriter
    ) -> None:
        if not any(name.startswith("credentials.") for name in event.payload.changed_fields):
            return
        await self._tell_owners(session, event, "bank_credential", {"plugin": event.payload.plugin})

    async def user_locked_out(
        self, session: AsyncSession, event: Envelope[UserLockedOut], _: EventWriter
    ) -> None:
        payload = event.payload
        details = {
            "failures": payload.failures,
            "address": payload.address or "?",
            "until": _when(payload.locked_until),
        }
        hour = event.occurred_at.strftime("%Y-%m-%dT%H")
        once = f"locked:{payload.user_id}:{payload.address}:{hour}"
        await self._tell_owners(session, event, "locked_out", details, payload.user_id, once)

    async def password_reset(
        self, session: AsyncSession, event: Envelope[PasswordReset], _: EventWriter
    ) -> None:
        details = {"address": event.payload.address or "?"}
        await self._tell_owners(session, event, "password_reset", details, event.payload.user_id)

    async def _tell_owners(
        self,
        session: AsyncSession,
        event: Envelope[Any],
        kind: str,
        details: dict[str, Any],
        account_id: UUID | None = None,
        once: str | None = None,
    ) -> None:
        """Mail each owner of the event's workspace, and the account concerned if it is one."""
        tx = Identities(session)
        workspace = await tx.workspace(event.workspace_id)
        if workspace is None:
            return
        people: dict[UUID, User] = {
            user.id: user
            for membership, user in await tx.members(event.workspace_id)
            if membership.role == "owner"
        }
        account = await tx.user(account_id) if account_id else None
        if account is not None:
            people.setdefault(account.id, account)
        for person in people.values():
            rendered = self.templates.render(
                "security_notice",
                person.locale,
                name=person.name,
                kind=kind,
                workspace=workspace.name,
                account=account.email if account else "",
                actor=event.actor.name or event.actor.id,
                when=_when(event.occurred_at),
                url=self.templates.link(AUDIT_PATH),
                reset_url=self.templates.link("/forgot-password"),
                **details,
            )
            await queue_mail(
                session,
                rendered.to(
                    person.email,
                    dedupe_key=f"notice:{once or event.event_id}:{person.id}",
                    kind=f"security_notice.{kind}",
                    workspace_id=event.workspace_id,
                ),
            )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
