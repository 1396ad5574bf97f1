"""The mail outbox: a mail is queued in the transaction of the change that causes it.

``queue_mail`` writes the rendered message next to the change; ``MailRelay`` (``mail_relay.py``)
delivers it. Every mail names what it is about in its ``dedupe_key``, which is unique, so the
same reminder or notice is never queued twice, whichever replica or replay tries. A service
that sends mail includes ``mail_metadata`` in its migrations (ADR 0023).
"""

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from kasa_servicekit.db import Database, UtcDateTime, insert_if_absent, utcnow
from kasa_servicekit.ids import new_id

mail_metadata = MetaData()

MailStatus = Literal["queued", "sent", "parked", "dropped"]

mail_outbox = Table(
    "mail_outbox",
    mail_metadata,
    Column("id", Uuid, primary_key=True, comment="also the local part of the Message-ID"),
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("kind", String(100), nullable=False, comment="which template, for the operator"),
    Column("workspace_id", Uuid, nullable=True),
    Column("recipient", String(320), nullable=False),
    Column("cc", JSON, nullable=False),
    Column("reply_to", String(320), nullable=True),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=True),
    Column("attachments", JSON, nullable=False, comment="[{filename, content_type, base64}]"),
    Column("status", String(20), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_mail_outbox_due", "status", "next_attempt_at"),
)

MAIL_WRITTEN = "kasa_mail_written"
"""Set in a session's ``info`` by ``queue_mail``: its commit wakes the relays of this process."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None
    """Shown inside the HTML (``<img src="cid:…">``) rather than as a file, when set."""


@dataclass(frozen=True)
class Mail:
    """One rendered message to one recipient (with optional copies)."""

    dedupe_key: str
    """What the mail is about, e.g. ``invoice-reminder:<invoice id>:14``: queued once only."""
    kind: str
    to: str
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    workspace_id: UUID | None = None


async def queue_mail(session: AsyncSession, mail: Mail) -> UUID | None:
    """Queue ``mail`` in the caller's transaction; ``None`` when its dedupe key was queued
    before (the mail is already on its way, or was sent)."""
    mail_id = new_id()
    now = utcnow()
    inserted = await insert_if_absent(
        session,
        mail_outbox,
        {
            "id": mail_id,
            "dedupe_key": mail.dedupe_key,
            "kind": mail.kind,
            "workspace_id": mail.workspace_id,
            "recipient": mail.to,
            "cc": list(mail.cc),
            "reply_to": mail.reply_to,
            "subject": mail.subject,
            "text_body": mail.text,
            "html_body": mail.html,
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "base64": base64.b64encode(a.content).decode(),
                    "content_id": a.content_id,
                }
                for a in mail.attachments
            ],
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
        unique=["dedupe_key"],
    )
    if not inserted:
        return None
    session.sync_session.info[MAIL_WRITTEN] = True
    return mail_id


_wakeups: set[Any] = set()


@event.listens_for(Session, "after_commit")
def _wake_mail_relays(session: Session) -> None:
    if session.info.pop(MAIL_WRITTEN, False):
        for wakeup in _wakeups:
            wakeup.set()


# -- what the operator sees and does (``kasa mail``) -------------------------------------------


@dataclass(frozen=True)
class MailSummary:
    id: UUID
    kind: str
    recipient: str
    subject: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "recipient": self.recipient,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "last_error": self.last_error,
        }


_SUMMARY = (
    mail_outbox.c.id,
    mail_outbox.c.kind,
    mail_outbox.c.recipient,
    mail_outbox.c.subject,
    mail_outbox.c.status,
    mail_outbox.c.attempts,
    mail_outbox.c.created_at,
    mail_outbox.c.next_attempt_at,
    mail_outbox.c.sent_at,
    mail_outbox.c.last_error,
)


async def mail_counts(db: Database) -> dict[str, int]:
    """How many mails are queued, sent, parked and dropped."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(mail_outbox.c.status, func.count()).group_by(mail_outbox.c.status)
        )
        counts = {"queued": 0, "sent": 0, "parked": 0, "dropped": 0}
        counts.update({str(status): int(n) for status, n in rows.all()})
    return counts


async def list_mail(
    db: Database, status: MailStatus = "parked", limit: int = 100
) -> list[MailSummary]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(*_SUMMARY)
            .where(mail_outbox.c.status == status)
            .order_by(mail_outbox.c.created_at)
            .limit(limit)
        )
        return [MailSummary(**row._mapping) for row in rows.all()]


async def retry_parked(db: Database, ids: list[UUID] | None = None) -> int:
    """Queue parked mail again, now, with a fresh count of attempts; ``None`` retries all."""
    stmt = update(mail_outbox).where(mail_outbox.c.status == "parked")
    if ids is not None:
        stmt = stmt.where(mail_outbox.c.id.in_(ids))
    async with db.transaction() as session:
        result = await session.execute(
            stmt.values(status="queued", attempts=0, next_attempt_at=utcnow(), claimed_until=None)
        )
    return int(result.rowcount)


async def drop_parked(db: Database, ids: list[UUID] | None = None) -> int:
    """Give up on parked mail. The row stays as ``dropped`` so its dedupe key keeps the same
    mail from being queued again; its body is cleared."""
    stmt = update(mail_outbox).where(mail_outbox.c.status == "parked")
    if ids is not None:
        stmt = stmt.where(mail_outbox.c.id.in_(ids))
    async with db.transaction() as session:
        result = await session.execute(
            stmt.values(status="dropped", claimed_until=None, **CLEARED_BODY)
        )
    return int(result.rowcount)


CLEARED_BODY: dict[str, Any] = {"text_body": "", "html_body": None, "attachments": []}
"""What a delivered or dropped mail keeps of its content: nothing. A reset link or an invoice
PDF has no reason to stay in the outbox once the mail is gone."""
