"""Payment matches applied to invoices in memory: once per match, the status follows."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kasa_contracts import Actor
from kasa_contracts.events.invoicing import InvoicePaid, InvoicePaymentRecorded
from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing.app import payments
from kasa_invoicing.db.tables import Invoice
from kasa_invoicing.domain.payments import PaymentRefused
from kasa_servicekit.events import At, EventWriter

LEDGER = EventWriter("ledger")


@pytest.fixture
def invoice(rows):
    client = rows.client()
    row = Invoice(
        id=uuid.uuid4(),
        workspace_id=rows.workspace_id,
        client_id=client.id,
        number="2026-0001",
        variable_symbol="20260001",
        status="issued",
        currency="CZK",
        language="cs",
        issue_date=date(2026, 3, 31),
        due_date=date(2026, 4, 14),
        payment_terms_days=14,
        subtotal=Decimal(1500),
        vat_total=Decimal(0),
        total=Decimal(1500),
        paid_total=Decimal(0),
        paid_on=None,
        note=None,
        supplier={"name": "Jana"},
        client={"name": "Acme"},
        created_at=datetime.now(UTC),
        issued_at=datetime.now(UTC),
        cancelled_at=None,
    )
    rows.add(row)
    return row


def matched(rows, invoice, amount, *, match_id=None, currency="CZK", day=10, workspace=None):
    payload = PaymentMatched(
        match_id=match_id or uuid.uuid4(),
        invoice_id=invoice.id,
        transaction_id=uuid.uuid4(),
        amount=Decimal(amount),
        currency=currency,
        paid_on=date(2026, 4, day),
        reason="variable_symbol",
    )
    origin = At(workspace or rows.workspace_id, Actor(type="system", id="ledger"))
    return LEDGER.envelope(payload, origin)


def unmatched(match):
    p = match.payload
    payload = PaymentUnmatched(
        match_id=p.match_id,
        invoice_id=p.invoice_id,
        transaction_id=p.transaction_id,
        amount=p.amount,
        currency=p.currency,
    )
    return LEDGER.envelope(payload, match)


async def test_part_then_the_rest_pays_the_invoice_once(rows, events, invoice):
    await payments.record_match(rows, events, matched(rows, invoice, "500", day=5))
    assert (invoice.status, invoice.paid_total, invoice.paid_on) == (
        "partially_paid",
        Decimal(500),
        None,
    )
    rest = matched(rows, invoice, "1000", day=12)
    await payments.record_match(rows, events, rest)
    await payments.record_match(rows, events, rest)  # the same match again counts once

    assert (invoice.status, invoice.paid_total, invoice.paid_on) == (
        "paid",
        Decimal(1500),
        date(2026, 4, 12),
    )
    [paid] = events.payloads(InvoicePaid)
    assert paid.paid_total == Decimal(1500) and paid.number == "2026-0001"
    assert len(events.payloads(InvoicePaymentRecorded)) == 2
    paid_event = next(e for e in events.written if isinstance(e.payload, InvoicePaid))
    assert paid_event.actor == rest.actor and paid_event.workspace_id == rows.workspace_id


async def test_an_unmatch_takes_the_payment_off_once(rows, events, invoice):
    whole = matched(rows, invoice, "1500")
    await payments.record_match(rows, events, whole)
    await payments.remove_match(rows, events, unmatched(whole))
    await payments.remove_match(rows, events, unmatched(whole))

    assert (invoice.status, invoice.paid_total, invoice.paid_on) == ("issued", Decimal(0), None)
    assert [p.amount for p in events.payloads(InvoicePaymentRecorded)] == [1500, -1500]
    await payments.record_match(rows, events, matched(rows, invoice, "1500"))
    assert len(events.payloads(InvoicePaid)) == 2, "paid again is a new fact"


async def test_a_cancelled_invoice_keeps_its_status_but_records_the_money(rows, events, invoice):
    invoice.status = "cancelled"
    await payments.record_match(rows, events, matched(rows, invoice, "1500"))
    assert (invoice.status, invoice.paid_total) == ("cancelled", Decimal(1500))
    assert events.payloads(InvoicePaid) == []


async def test_payments_that_cannot_apply_are_refused(rows, events, invoice):
    with pytest.raises(PaymentRefused, match="EUR payment cannot pay"):
        await payments.record_match(rows, events, matched(rows, invoice, "1", currency="EUR"))
    elsewhere = rows.seen_from(uuid.uuid4())
    with pytest.raises(PaymentRefused, match="not in this workspace"):
        await payments.record_match(
            elsewhere, events, matched(elsewhere, invoice, "1", workspace=elsewhere.workspace_id)
        )
    with pytest.raises(PaymentRefused, match="has not been recorded yet"):
        await payments.remove_match(rows, events, unmatched(matched(rows, invoice, "1")))
    assert (invoice.status, invoice.paid_total, events.written) == ("issued", Decimal(0), [])
