"""Applying the ledger's payment matches to invoices; the status follows the money.

A match is recorded once (its id is the natural key) and an unmatch takes it off again. Either
way the paid total is summed anew and the invoice moves to where that total puts it; reaching
the total announces the invoice paid. A payment that cannot apply raises ``PaymentRefused``,
which parks the event after its retries.
"""

from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts import Envelope, EventPayload
from kasa_contracts.events.invoicing import InvoicePaid, InvoicePaymentRecorded
from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing.db.tables import Invoice, Payment
from kasa_invoicing.domain.payments import PaymentRefused, check_currency, check_unmatch, settle
from kasa_servicekit.db import utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id


class PaymentStore(Protocol):
    session: AsyncSession
    workspace_id: UUID

    async def locked_invoice(self, invoice_id: UUID) -> Invoice | None: ...

    async def payment(self, match_id: UUID) -> Payment | None:
        """The payment recorded for a match, removed or not."""
        ...

    async def record(self, values: dict[str, Any]) -> bool:
        """Store a payment unless its match is stored already; whether it was new."""
        ...

    async def paid(self, invoice: Invoice) -> tuple[Decimal, date | None]:
        """The sum of the invoice's live payments and the day of the last one."""
        ...

    async def flush(self) -> None: ...


async def _invoice(store: PaymentStore, invoice_id: UUID) -> Invoice:
    invoice = await store.locked_invoice(invoice_id)
    if invoice is None:
        raise PaymentRefused(f"invoice {invoice_id} is not in this workspace")
    return invoice


async def record_match(
    store: PaymentStore, events: EventWriter, event: Envelope[PaymentMatched]
) -> None:
    """Record the matched payment on its invoice, once."""
    matched = event.payload
    invoice = await _invoice(store, matched.invoice_id)
    check_currency(matched.currency, invoice.id, invoice.currency)
    recorded = await store.record(
        {
            "id": new_id(),
            "workspace_id": store.workspace_id,
            "invoice_id": invoice.id,
            "match_id": matched.match_id,
            "transaction_id": matched.transaction_id,
            "amount": matched.amount,
            "currency": matched.currency,
            "paid_on": matched.paid_on,
            "recorded_at": utcnow(),
            "removed_at": None,
        }
    )
    if not recorded:
        return
    payment = await store.payment(matched.match_id)
    assert payment is not None
    await _settle(store, events, event, invoice, payment)


async def remove_match(
    store: PaymentStore, events: EventWriter, event: Envelope[PaymentUnmatched]
) -> None:
    """Take the unmatched payment off its invoice, once."""
    unmatched = event.payload
    invoice = await _invoice(store, unmatched.invoice_id)
    payment = await store.payment(unmatched.match_id)
    check_unmatch(unmatched.match_id, payment.invoice_id if payment else None, invoice.id)
    assert payment is not None
    if payment.removed_at is not None:
        return
    payment.removed_at = utcnow()
    await store.flush()
    await _settle(store, events, event, invoice, payment)


async def _settle(
    store: PaymentStore,
    events: EventWriter,
    event: Envelope[PaymentMatched] | Envelope[PaymentUnmatched],
    invoice: Invoice,
    payment: Payment,
) -> None:
    """Sum the payments anew after ``payment`` was added or removed, and move the invoice."""
    paid_total, last_paid_on = await store.paid(invoice)
    settled = settle(invoice.status, invoice.total, paid_total, last_paid_on)
    invoice.paid_total = settled.paid_total
    invoice.status = settled.status
    invoice.paid_on = settled.paid_on
    signed = payment.amount if payment.removed_at is None else -payment.amount
    facts: list[EventPayload] = [
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
    if settled.newly_paid:
        assert invoice.number is not None and invoice.paid_on is not None
        facts.append(
            InvoicePaid(
                invoice_id=invoice.id,
                number=invoice.number,
                paid_total=invoice.paid_total,
                currency=invoice.currency,
                paid_on=invoice.paid_on,
            )
        )
    # The change was caused by the ledger's event: in its workspace, by its actor.
    await events.write(store.session, *facts, on=event)
