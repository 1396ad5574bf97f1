"""Sending invoices to clients by mail, the preview of that mail, and the sends so far."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kasa_invoicing.app import invoice_mail
from kasa_invoicing.db.invoices import InvoiceRows
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal, require_verified_email
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


async def get_invoice_mail(request: Request) -> invoice_mail.InvoiceMail:
    return request.app.state.invoice_mail


InvoiceMailDep = Annotated[invoice_mail.InvoiceMail, Depends(get_invoice_mail)]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: EmailStr | None = Field(default=None, description="The client's email when not given")
    copy_to: EmailStr | None = Field(default=None, description="A copy, usually to the sender")
    note: str | None = Field(default=None, max_length=invoice_mail.MAX_NOTE)


class SendOut(BaseModel):
    id: UUID
    kind: Literal["invoice", "reminder"]
    reminder_day: int | None
    to: str
    cc: list[str]
    message_id: str
    created_at: datetime
    sent_by: str
    status: str = Field(description="The mail's state: queued, sent, parked or dropped")
    sent_at: datetime | None = None


class PreviewOut(BaseModel):
    to: str | None
    subject: str
    text: str
    html: str


def _out(record: invoice_mail.SendRecord, domain: str) -> SendOut:
    send = record.send
    return SendOut(
        id=send.id,
        kind=send.kind,
        reminder_day=send.reminder_day,
        to=send.recipient,
        cc=list(send.cc or []),
        message_id=f"<{send.mail_id}@{domain}>",
        created_at=send.created_at,
        sent_by=send.sent_by,
        status=record.status,
        sent_at=record.sent_at,
    )


@router.post("/{invoice_id}/send", status_code=status.HTTP_202_ACCEPTED, response_model=SendOut)
async def send_invoice(
    invoice_id: UUID,
    body: SendIn,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    mail: InvoiceMailDep,
) -> SendOut:
    """Mail the issued invoice to its client: the PDF attached, a portal link, the amount,
    due date, variable symbol and payment QR code in the body, in the client's language.
    Queued now and delivered by the mail relay; each send is kept and audited. The sender's
    email address must be verified (403 until it is)."""
    require_verified_email(principal, "send mail to clients")
    async with db.transaction() as session:
        sent = await invoice_mail.send(
            InvoiceRows(session, principal.workspace_id),
            events,
            principal,
            mail,
            invoice_id,
            to=body.to,
            copy_to=body.copy_to,
            note=body.note,
        )
    return _out(invoice_mail.SendRecord(sent, "queued", None), mail.message_domain)


@router.get("/{invoice_id}/sends", response_model=list[SendOut])
async def invoice_sends(
    invoice_id: UUID, principal: CurrentPrincipal, db: Db, mail: InvoiceMailDep
) -> list[SendOut]:
    """Every mail of the invoice, newest first: sends and overdue reminders."""
    async with db.sessions() as session:
        records = await invoice_mail.history(
            InvoiceRows(session, principal.workspace_id), invoice_id
        )
    return [_out(record, mail.message_domain) for record in records]


@router.get("/{invoice_id}/mail-preview", response_model=PreviewOut)
async def mail_preview(
    invoice_id: UUID,
    principal: CurrentPrincipal,
    db: Db,
    mail: InvoiceMailDep,
    note: Annotated[str | None, Field(max_length=invoice_mail.MAX_NOTE)] = None,
) -> PreviewOut:
    """The mail as the client would get it if sent now (the portal link is made on send)."""
    async with db.sessions() as session:
        store = InvoiceRows(session, principal.workspace_id)
        shown = await invoice_mail.preview(store, mail, invoice_id, note)
    rendered = shown.rendered
    return PreviewOut(to=shown.to, subject=rendered.subject, text=rendered.text, html=rendered.html)
