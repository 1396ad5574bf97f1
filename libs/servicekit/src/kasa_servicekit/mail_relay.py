"""Delivers queued mail over SMTP: retried with backoff, parked when it cannot be delivered.

Replicas share the outbox: each claims a batch under a lease (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; on SQLite the one ``UPDATE … RETURNING`` holds the write lock), so no two hold the
same mail. A temporary failure (connection refused, 4xx) is retried after an exponential
backoff; after ``max_attempts`` it is parked. A permanent refusal (5xx) parks at once.
"""

import asyncio
import base64
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal

import aiosmtplib
from prometheus_client import Counter
from sqlalchemy import select, update

from kasa_servicekit.cancellation import stop_if_cancelled
from kasa_servicekit.db import Database, utcnow
from kasa_servicekit.mail_outbox import CLEARED_BODY, _wakeups, mail_outbox

log = logging.getLogger("kasa.mail")

SENT = Counter("kasa_mail_sent_total", "Mails the SMTP server accepted")
FAILED = Counter("kasa_mail_failures_total", "Delivery attempts that failed", ["outcome"])


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: ``security`` is ``none``, ``starttls`` or ``tls`` (implicit TLS)."""

    host: str
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    def client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password or None,
            use_tls=self.security == "tls",
            start_tls=True if self.security == "starttls" else False,
            timeout=self.timeout_s,
        )


class PermanentRefusal(Exception):
    """The server refused the message for good (5xx): retrying cannot help."""


def message_of(row: Any, sender: str) -> EmailMessage:
    """The MIME message of an outbox row: plain text, an HTML alternative, attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    if row.cc:
        message["Cc"] = ", ".join(row.cc)
    if row.reply_to:
        message["Reply-To"] = row.reply_to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    # Derived from the mail's id: a message delivered twice (accepted, then the process died
    # before recording it) carries the same id, which mail clients recognise.
    domain = sender.rpartition("@")[2].strip("> ") or "kasa.invalid"
    message["Message-ID"] = f"<{row.id}@{domain}>"
    # Which of Kasa's mails this is (password_reset, invoice…), for the recipient's filters
    # and the operator reading a mailbox; it tells nothing the subject does not.
    message["X-Kasa-Mail"] = row.kind
    # RFC 3834: sent by a program, so vacation responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    attachments = list(row.attachments or [])
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
        html = message.get_body(("html",))
        assert html is not None
        for item in [a for a in attachments if a.get("content_id")]:
            maintype, _, subtype = str(item["content_type"]).partition("/")
            html.add_related(
                base64.b64decode(item["base64"]),
                maintype=maintype,
                subtype=subtype,
                cid=f"<{item['content_id']}>",
                filename=item["filename"],
            )
    for item in [a for a in attachments if not a.get("content_id")]:
        maintype, _, subtype = str(item["content_type"]).partition("/")
        message.add_attachment(
            base64.b64decode(item["base64"]),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item["filename"],
        )
    return message


class MailRelay:
    """Sends committed mail; safe to run in several replicas at once."""

    lease = timedelta(minutes=2)

    def __init__(
        self,
        db: Database,
        server: SmtpServer,
        sender: str,
        *,
        batch_size: int = 20,
        poll_seconds: float = 1.0,
        max_attempts: int = 8,
        first_backoff: timedelta = timedelta(seconds=15),
        longest_backoff: timedelta = timedelta(hours=1),
    ) -> None:
        self.db = db
        self.server = server
        self.sender = sender
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.first_backoff = first_backoff
        self.longest_backoff = longest_backoff
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        _wakeups.add(self._wakeup)
        try:
            while True:
                try:
                    handled = await self.deliver_batch()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("mail relay pass failed")
                    handled = 0
                if handled < self.batch_size:
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_seconds)
                    except TimeoutError:
                        pass
                    self._wakeup.clear()
                    stop_if_cancelled()
        finally:
            _wakeups.discard(self._wakeup)

    async def deliver_batch(self) -> int:
        """Claim the mail that is due and try each once; returns how many were tried."""
        rows = await self._claim()
        if not rows:
            return 0
        done = 0
        try:
            async with self.server.client() as smtp:
                for row in rows:
                    await self._deliver(smtp, row)
                    done += 1
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The connection itself failed: the mail not yet tried waits for a retry.
            for row in rows[done:]:
                await self._failed(row, f"{type(exc).__name__}: {exc}", permanent=False)
        return len(rows)

    async def _deliver(self, smtp: aiosmtplib.SMTP, row: Any) -> None:
        try:
            errors, _response = await smtp.send_message(message_of(row, self.sender))
            if errors:
                raise PermanentRefusal("; ".join(f"{who}: {why}" for who, why in errors.items()))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._failed(row, str(exc), permanent=True)
        except aiosmtplib.SMTPResponseException as exc:
            await self._failed(row, f"{exc.code} {exc.message}", permanent=exc.code >= 500)
        except PermanentRefusal as exc:
            await self._failed(row, str(exc), permanent=True)
        else:
            async with self.db.transaction() as session:
                await session.execute(
                    update(mail_outbox)
                    .where(mail_outbox.c.id == row.id)
                    .values(
                        status="sent",
                        sent_at=utcnow(),
                        claimed_until=None,
                        last_error=None,
                        **CLEARED_BODY,
                    )
                )
            SENT.inc()

    async def _failed(self, row: Any, error: str, *, permanent: bool) -> None:
        parked = permanent or row.attempts >= self.max_attempts
        FAILED.labels("parked" if parked else "retry").inc()
        backoff = min(self.first_backoff * 2 ** max(row.attempts - 1, 0), self.longest_backoff)
        values: dict[str, Any] = {"claimed_until": None, "last_error": error[:2000]}
        if parked:
            values["status"] = "parked"
            log.warning("mail %s parked after %d attempts: %s", row.id, row.attempts, error)
        else:
            values["next_attempt_at"] = utcnow() + backoff
        async with self.db.transaction() as session:
            await session.execute(
                update(mail_outbox).where(mail_outbox.c.id == row.id).values(**values)
            )

    async def _claim(self) -> list[Any]:
        now = utcnow()
        due = (
            select(mail_outbox.c.id)
            .where(mail_outbox.c.status == "queued")
            .where(mail_outbox.c.next_attempt_at <= now)
            .where((mail_outbox.c.claimed_until.is_(None)) | (mail_outbox.c.claimed_until < now))
            .order_by(mail_outbox.c.next_attempt_at)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(mail_outbox)
            .where(mail_outbox.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=now + self.lease, attempts=mail_outbox.c.attempts + 1)
            .returning(*mail_outbox.c)
        )
        async with self.db.transaction() as session:
            rows = list((await session.execute(stmt)).all())
        return rows
