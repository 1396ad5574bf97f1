"""Invoices by mail: sending one to its client, what the mail will look like, and each send.

The mail is in the client's language, with the PDF attached, a portal link made for it, and
the amount, due date, variable symbol and payment QR code in the body. It is queued in the
transaction that records the send and its event, so a send is mailed exactly when it is
recorded (ADR 0023).
"""

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select

from kasa_contracts import Actor
from kasa_contracts.events.invoicing import InvoiceSent
from kasa_invoicing.app import documents, sharing
from kasa_invoicing.app.documents import DocumentStore
from kasa_invoicing.db.tables import Invoice, InvoiceSend
from kasa_invoicing.domain.errors import Conflict, Invalid
from kasa_invoicing.domain.payment_qr import optional_qr
from kasa_invoicing.pdf.document import Formatter, pdf_filename
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter, Origin
from kasa_servicekit.ids import new_id
from kasa_servicekit.mail_outbox import Attachment, Mail, mail_outbox, queue_mail
from kasa_servicekit.mail_templates import MailTemplates, RenderedMail

MAILABLE = ("issued", "partially_paid", "paid")
QR_ID = "payment-qr"
MAX_NOTE = 2000

Kind = Literal["invoice", "reminder"]


@dataclass(frozen=True)
class InvoiceMail:
    """What sending needs besides the store: the templates and where the portal is."""

    templates: MailTemplates
    portal_link_days: int
    message_domain: str
    """The domain of each ``Message-ID`` (the one of ``MAIL_FROM``)."""


def invoice_mail_of(settings: Any, folder: Path) -> InvoiceMail:
    """The service's invoice mail: links on ``PUBLIC_URL`` (the local default without one)."""
    sender = str(settings.mail_from)
    domain = sender.rpartition("@")[2].strip("> ") or "kasa.invalid"
    public = settings.public_url or "http://127.0.0.1:8000"
    return InvoiceMail(MailTemplates(folder, public), settings.portal_link_days, domain)


@dataclass(frozen=True)
class Composed:
    rendered: RenderedMail
    attachments: tuple[Attachment, ...]


def _from(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}"


def check_mailable(invoice: Invoice) -> None:
    if invoice.status not in MAILABLE:
        raise Conflict(
            "issue the invoice before sending it"
            if invoice.status == "draft"
            else f"the invoice is {invoice.status} and is not sent"
        )


def recipient(invoice: Invoice, to: str | None) -> str:
    address = (to or invoice.client.get("email") or "").strip()
    if not address:
        raise Invalid("the client has no email: give the address to send the invoice to")
    return address


async def compose(
    store: DocumentStore,
    mail: InvoiceMail,
    invoice: Invoice,
    kind: Kind,
    portal_url: str,
    note: str | None = None,
) -> Composed:
    """The mail of ``invoice`` in its language, with its PDF and, when payable, its QR code."""
    formatter = Formatter(invoice.language, invoice.currency)
    supplier = str(invoice.supplier.get("name") or "")
    qr = optional_qr(invoice)
    rendered = mail.templates.render(
        kind,
        invoice.language,
        number=invoice.number,
        supplier=supplier,
        amount=formatter.money(max(invoice.total - invoice.paid_total, Decimal(0))),
        due_date=formatter.date(invoice.due_date),
        variable_symbol=invoice.variable_symbol,
        iban=invoice.supplier.get("iban"),
        portal_url=portal_url,
        qr=QR_ID if qr else None,
        note=(note or "").strip() or None,
    )
    attachments = [
        Attachment(pdf_filename(invoice), "application/pdf", await documents.pdf(store, invoice))
    ]
    if qr is not None:
        png = io.BytesIO()
        qr.code.save(png, kind="png", scale=5, border=4)
        attachments.append(Attachment("payment-qr.png", "image/png", png.getvalue(), QR_ID))
    return Composed(rendered, tuple(attachments))


@dataclass(frozen=True)
class Preview:
    to: str | None
    """The client's email, where the mail goes unless the sender gives another."""
    rendered: RenderedMail


async def preview(
    store: DocumentStore, mail: InvoiceMail, invoice_id: UUID, note: str | None = None
) -> Preview:
    """The mail as the client would get it now; the portal link is made only when sent."""
    invoice = await store.owned(Invoice, invoice_id, "invoice")
    check_mailable(invoice)
    url = mail.templates.link("/portal/…")
    composed = await compose(store, mail, invoice, "invoice", url, note)
    return Preview(invoice.client.get("email"), composed.rendered)


async def deliver(
    store: DocumentStore,
    events: EventWriter,
    by: Origin,
    mail: InvoiceMail,
    invoice: Invoice,
    *,
    kind: Kind,
    to: str,
    cc: list[str],
    note: str | None = None,
    reminder_day: int | None = None,
) -> InvoiceSend | None:
    """Record one send of ``invoice`` and queue its mail, in the caller's transaction.

    ``None`` when this reminder was sent before (whichever replica got there first)."""
    shared = await sharing.share(store, events, by, invoice.id, default_days=mail.portal_link_days)
    portal_url = mail.templates.link(f"/portal/{shared.token}")
    composed = await compose(store, mail, invoice, kind, portal_url, note)
    send_id = new_id()
    dedupe = (
        f"invoice-reminder:{invoice.id}:{reminder_day}"
        if kind == "reminder"
        else f"invoice-send:{send_id}"
    )
    mail_id = await queue_mail(
        store.session,
        Mail(
            dedupe_key=dedupe,
            kind=f"invoice_{kind}",
            to=to,
            cc=tuple(cc),
            subject=composed.rendered.subject,
            text=composed.rendered.text,
            html=composed.rendered.html,
            attachments=composed.attachments,
            workspace_id=invoice.workspace_id,
        ),
    )
    if mail_id is None:
        return None
    send = InvoiceSend(
        id=send_id,
        workspace_id=invoice.workspace_id,
        invoice_id=invoice.id,
        kind=kind,
        reminder_day=reminder_day,
        recipient=to,
        cc=cc,
        mail_id=mail_id,
        sent_by=_from(by.actor),
        created_at=utcnow(),
    )
    store.add(send)
    await store.flush()
    sent = InvoiceSent(
        invoice_id=invoice.id,
        send_id=send.id,
        kind=kind,
        reminder_day=reminder_day,
        to=to,
        cc=cc,
        message_id=f"<{mail_id}@{mail.message_domain}>",
    )
    await events.write(store.session, sent, on=by)
    return send


async def send(
    store: DocumentStore,
    events: EventWriter,
    by: Origin,
    mail: InvoiceMail,
    invoice_id: UUID,
    *,
    to: str | None = None,
    copy_to: str | None = None,
    note: str | None = None,
) -> InvoiceSend:
    """Send the workspace's issued invoice to its client (or ``to``), with a copy to
    ``copy_to`` (the sender) when given."""
    invoice = await store.owned(Invoice, invoice_id, "invoice")
    check_mailable(invoice)
    if note and len(note) > MAX_NOTE:
        raise Invalid(f"the message is longer than {MAX_NOTE} characters")
    address = recipient(invoice, to)
    cc = [copy_to.strip()] if copy_to and copy_to.strip() else []
    sent = await deliver(
        store, events, by, mail, invoice, kind="invoice", to=address, cc=cc, note=note
    )
    assert sent is not None, "an invoice send has a dedupe key of its own"
    return sent


@dataclass(frozen=True)
class SendRecord:
    send: InvoiceSend
    status: str
    """The mail's state: queued, sent, parked or dropped."""
    sent_at: datetime | None


async def history(store: DocumentStore, invoice_id: UUID) -> list[SendRecord]:
    """Every send of the workspace's invoice, newest first, with how its mail fared."""
    invoice = await store.owned(Invoice, invoice_id, "invoice")
    rows = await store.session.execute(
        select(InvoiceSend, mail_outbox.c.status, mail_outbox.c.sent_at)
        .join(mail_outbox, mail_outbox.c.id == InvoiceSend.mail_id, isouter=True)
        .where(InvoiceSend.invoice_id == invoice.id)
        .order_by(InvoiceSend.created_at.desc())
    )
    return [SendRecord(row[0], row[1] or "queued", row[2]) for row in rows.all()]
