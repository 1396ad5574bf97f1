"""ledger.payment.matched.v1 → a payment recorded on the invoice."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope
from kasa_contracts.events.ledger import PaymentMatched
from kasa_invoicing.db.tables import Payment
from kasa_invoicing.payments import PaymentRefused, locked_invoice, settle
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.ids import new_id


async def handle(session: AsyncSession, event: Envelope[Any]) -> None:
    matched: PaymentMatched = event.payload
    invoice = await locked_invoice(session, event)
    if matched.currency != invoice.currency:
        raise PaymentRefused(
            f"a {matched.currency} payment cannot pay invoice {invoice.id} in {invoice.currency}"
        )
    row = {
        "id": new_id(),
        "workspace_id": event.workspace_id,
        "invoice_id": invoice.id,
        "match_id": matched.match_id,
        "transaction_id": matched.transaction_id,
        "amount": matched.amount,
        "currency": matched.currency,
        "paid_on": matched.paid_on,
        "recorded_at": utcnow(),
        "removed_at": None,
    }
    # The match id is the natural key: the same match never counts twice, whatever the inbox.
    if not await insert_if_absent(session, Payment.__table__, row, ["workspace_id", "match_id"]):
        return
    payment = await session.scalar(
        select(Payment).where(
            Payment.workspace_id == event.workspace_id, Payment.match_id == matched.match_id
        )
    )
    assert payment is not None
    await settle(session, event, invoice, payment)
