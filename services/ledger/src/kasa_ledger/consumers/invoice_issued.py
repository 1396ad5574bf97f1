"""invoicing.invoice.issued.v1 → the invoice in the matching projection, and its payments."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.invoicing import InvoiceIssued
from kasa_ledger.db.tables import Invoice
from kasa_ledger.domain.matching import normalize_symbol
from kasa_ledger.payments import match_waiting_payments
from kasa_servicekit.db import insert_if_absent, utcnow


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    issued: InvoiceIssued = event.payload
    now = utcnow()
    details = {
        "number": issued.number,
        "variable_symbol": issued.variable_symbol,
        "vs_normalized": normalize_symbol(issued.variable_symbol),
        "client_id": issued.client_id,
        "client_name": issued.client_name,
        "total": issued.total,
        "currency": issued.currency,
        "issue_date": issued.issue_date,
        "due_date": issued.due_date,
        "issued_at": event.occurred_at,
        "updated_at": now,
    }
    values = {"id": issued.invoice_id, "workspace_id": event.workspace_id, **details}
    if not await insert_if_absent(session, Invoice.__table__, values, ["id"]):
        # A cancellation or payment got here first: keep what it said, add the details.
        await session.execute(
            update(Invoice)
            .where(
                Invoice.id == issued.invoice_id,
                Invoice.workspace_id == event.workspace_id,
                Invoice.issued_at.is_(None),
            )
            .values(**details)
        )
    invoice = await session.get(Invoice, issued.invoice_id, populate_existing=True)
    if invoice is None or invoice.workspace_id != event.workspace_id:
        raise LookupError(f"invoice {issued.invoice_id} belongs to another workspace")
    await match_waiting_payments(session, invoice)
