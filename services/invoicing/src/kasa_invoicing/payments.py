"""Applying the ledger's payment matches to invoices; the status follows the money."""

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope, EventPayload
from kasa_contracts.events.invoicing import InvoicePaid, InvoicePaymentRecorded
from kasa_invoicing.db.tables import Invoice, Payment
from kasa_invoicing.domain.lifecycle import status_after_payments
from kasa_servicekit.outbox import add_events, make_envelope


class PaymentRefused(Exception):
    """A payment event that cannot apply; raising parks it for an operator to look at."""


async def locked_invoice(session: AsyncSession, event: Envelope[Any]) -> Invoice:
    invoice = await session.scalar(
        select(Invoice)
        .where(Invoice.id == event.payload.invoice_id, Invoice.workspace_id == event.workspace_id)
        .with_for_update()
    )
    if invoice is None:
        raise PaymentRefused(f"invoice {event.payload.invoice_id} is not in this workspace")
    return invoice


async def settle(
    session: AsyncSession, event: Envelope[Any], invoice: Invoice, payment: Payment
) -> None:
    """Recompute the paid total and status after ``payment`` was added or removed."""
    paid = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.invoice_id == invoice.id, Payment.removed_at.is_(None)
        )
    )
    was_paid = invoice.status == "paid"
    invoice.paid_total = Decimal(paid or 0)
    invoice.status = status_after_payments(invoice.status, invoice.total, invoice.paid_total)
    latest = await session.scalar(
        select(func.max(Payment.paid_on)).where(
            Payment.invoice_id == invoice.id, Payment.removed_at.is_(None)
        )
    )
    invoice.paid_on = latest if invoice.status == "paid" else None
    signed = payment.amount if payment.removed_at is None else -payment.amount
    events: list[EventPayload] = [
        InvoicePaymentRecorded(
            invoice_id=invoice.id,
            match_id=payment.match_id,
            transaction_id=payment.transaction_id,
            amount=signed,
            currency=payment.currency,
            paid_total=invoice.paid_total,
            status=invoice.status,
        )
    ]
    if invoice.status == "paid" and not was_paid:
        assert invoice.number is not None and invoice.paid_on is not None
        events.append(
            InvoicePaid(
                invoice_id=invoice.id,
                number=invoice.number,
                paid_total=invoice.paid_total,
                currency=invoice.currency,
                paid_on=invoice.paid_on,
            )
        )
    await add_events(
        session,
        [
            make_envelope(
                payload, producer="invoicing", workspace_id=event.workspace_id, actor=event.actor
            )
            for payload in events
        ],
    )
