"""The ledger's projection of invoicing's invoices, which payments are matched against.

Invoicing's events may arrive in any order, so a cancellation or payment can be known before
the issue: the issue then fills in the details and keeps what the others said.
"""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoiceCancelled, InvoiceIssued, InvoicePaid
from kasa_ledger.app.matching import match_waiting_payments
from kasa_ledger.db.tables import Invoice
from kasa_ledger.domain.matching import normalize_symbol
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.events import EventWriter


async def issued(
    session: AsyncSession, event: Envelope[InvoiceIssued], events: EventWriter
) -> None:
    """The invoice expects payment: record it, then match payments that came before it."""
    invoice_issued = event.payload
    now = utcnow()
    details = {
        "number": invoice_issued.number,
        "variable_symbol": invoice_issued.variable_symbol,
        "vs_normalized": normalize_symbol(invoice_issued.variable_symbol),
        "client_id": invoice_issued.client_id,
        "client_name": invoice_issued.client_name,
        "total": invoice_issued.total,
        "currency": invoice_issued.currency,
        "issue_date": invoice_issued.issue_date,
        "due_date": invoice_issued.due_date,
        "issued_at": event.occurred_at,
        "updated_at": now,
    }
    values = {"id": invoice_issued.invoice_id, "workspace_id": event.workspace_id, **details}
    if not await insert_if_absent(session, Invoice.__table__, values, ["id"]):
        # A cancellation or payment got here first: keep what it said, add the details.
        await session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice_issued.invoice_id,
                Invoice.workspace_id == event.workspace_id,
                Invoice.issued_at.is_(None),
            )
            .values(**details)
        )
    invoice = await session.get(Invoice, invoice_issued.invoice_id, populate_existing=True)
    if invoice is None or invoice.workspace_id != event.workspace_id:
        raise LookupError(f"invoice {invoice_issued.invoice_id} belongs to another workspace")
    await match_waiting_payments(session, invoice, events)


async def cancelled(session: AsyncSession, event: Envelope[InvoiceCancelled]) -> None:
    """The invoice no longer expects payment."""
    invoice_cancelled = event.payload
    now = utcnow()
    placeholder = {
        "id": invoice_cancelled.invoice_id,
        "workspace_id": event.workspace_id,
        "number": invoice_cancelled.number,
        "cancelled_at": event.occurred_at,
        "updated_at": now,
    }
    if not await insert_if_absent(session, Invoice.__table__, placeholder, ["id"]):
        await session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice_cancelled.invoice_id,
                Invoice.workspace_id == event.workspace_id,
            )
            .values(cancelled_at=event.occurred_at, updated_at=now)
        )


async def paid(session: AsyncSession, event: Envelope[InvoicePaid]) -> None:
    """The invoice is settled; later payments against it are only suggested."""
    invoice_paid = event.payload
    now = utcnow()
    placeholder = {
        "id": invoice_paid.invoice_id,
        "workspace_id": event.workspace_id,
        "number": invoice_paid.number,
        "paid_on": invoice_paid.paid_on,
        "updated_at": now,
    }
    if not await insert_if_absent(session, Invoice.__table__, placeholder, ["id"]):
        await session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice_paid.invoice_id, Invoice.workspace_id == event.workspace_id
            )
            .values(paid_on=invoice_paid.paid_on, updated_at=now)
        )
