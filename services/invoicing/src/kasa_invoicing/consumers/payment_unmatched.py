"""ledger.payment.unmatched.v1 → the payment is taken off its invoice."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.ledger import PaymentUnmatched
from kasa_invoicing.db.tables import Payment
from kasa_invoicing.payments import PaymentRefused, locked_invoice, settle
from kasa_servicekit.db import utcnow


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    unmatched: PaymentUnmatched = event.payload
    invoice = await locked_invoice(session, event)
    payment = await session.scalar(
        select(Payment).where(
            Payment.workspace_id == event.workspace_id, Payment.match_id == unmatched.match_id
        )
    )
    if payment is None:
        # Without ordering guarantees the unmatch can overtake its match: retry until the
        # match has arrived (it parks if it never does).
        raise PaymentRefused(f"match {unmatched.match_id} has not been recorded yet")
    if payment.invoice_id != invoice.id:
        raise PaymentRefused(f"match {unmatched.match_id} belongs to another invoice")
    if payment.removed_at is not None:
        return
    payment.removed_at = utcnow()
    await session.flush()
    await settle(session, event, invoice, payment)
