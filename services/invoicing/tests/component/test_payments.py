"""ledger.payment.matched/unmatched through the real subscription: payments and status."""

import uuid
from datetime import UTC, date, datetime

import pytest

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.invoicing import InvoicePaid, InvoicePaymentRecorded
from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing.domain.payments import PaymentRefused
from kasa_invoicing.main import PAYMENTS
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id

EVENTS = EventWriter("invoicing")


def envelope(workspace_id, payload):
    return Envelope[type(payload)](
        event_id=new_id(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="ledger",
        workspace_id=workspace_id,
        actor=Actor(type="system", id="ledger"),
        correlation_id="match-run",
        payload=payload,
    )


def matched(workspace_id, invoice_id, amount, match_id=None, currency="CZK", day=10):
    return envelope(
        workspace_id,
        PaymentMatched(
            match_id=match_id or uuid.uuid4(),
            invoice_id=invoice_id,
            transaction_id=uuid.uuid4(),
            amount=amount,
            currency=currency,
            paid_on=date(2026, 4, day),
            reason="variable_symbol",
        ),
    )


def unmatched(workspace_id, match):
    p = match.payload
    return envelope(
        workspace_id,
        PaymentUnmatched(
            match_id=p.match_id,
            invoice_id=p.invoice_id,
            transaction_id=p.transaction_id,
            amount=p.amount,
            currency=p.currency,
        ),
    )


@pytest.fixture
def issued(owner):
    client_id, project_id = owner.setup_work(rate="1000")
    entry = owner.add_entry(project_id, "2026-03-01", minutes=90)
    invoice = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    owner.ok("POST", f"/api/v1/invoices/{invoice['id']}/issue", json={"issue_date": "2026-03-31"})
    return uuid.UUID(invoice["id"])


@pytest.fixture
async def db(service):
    database = service.database()
    yield database
    await database.dispose()


async def test_partial_then_full_payment_marks_the_invoice_paid_once(service, owner, issued, db):
    ws = owner.workspace_id
    first = matched(ws, issued, "500", day=5)
    assert await handle_event(db, PAYMENTS, first, EVENTS)
    invoice = owner.ok("GET", f"/api/v1/invoices/{issued}")
    assert (invoice["status"], invoice["paid_total"], invoice["outstanding"]) == (
        "partially_paid",
        "500.00",
        "1000.00",
    )
    assert not await handle_event(db, PAYMENTS, first, EVENTS), "a redelivery is a duplicate"

    rest = matched(ws, issued, "1000", day=12)
    await handle_event(db, PAYMENTS, rest, EVENTS)
    # The same match delivered again under a new event id still counts once.
    await handle_event(
        db, PAYMENTS, matched(ws, issued, "1000", match_id=rest.payload.match_id), EVENTS
    )
    invoice = owner.ok("GET", f"/api/v1/invoices/{issued}")
    assert (invoice["status"], invoice["paid_total"], invoice["paid_on"]) == (
        "paid",
        "1500.00",
        "2026-04-12",
    )
    assert [(p["amount"], p["removed"]) for p in invoice["payments"]] == [
        ("500.00", False),
        ("1000.00", False),
    ]
    [paid] = service.events(InvoicePaid.routing_key())
    assert paid.payload.number == "2026-0001" and paid.payload.paid_total == 1500
    assert paid.causation_id == rest.event_id and paid.correlation_id == "match-run"
    assert len(service.events(InvoicePaymentRecorded.routing_key())) == 2


async def test_an_unmatched_payment_comes_off_and_the_status_follows(service, owner, issued, db):
    ws = owner.workspace_id
    whole = matched(ws, issued, "1500")
    await handle_event(db, PAYMENTS, whole, EVENTS)
    assert owner.ok("GET", f"/api/v1/invoices/{issued}")["status"] == "paid"
    await handle_event(db, PAYMENTS, unmatched(ws, whole), EVENTS)
    await handle_event(db, PAYMENTS, unmatched(ws, whole), EVENTS)
    invoice = owner.ok("GET", f"/api/v1/invoices/{issued}")
    assert (invoice["status"], invoice["paid_total"], invoice["paid_on"]) == (
        "issued",
        "0.00",
        None,
    )
    assert invoice["payments"][0]["removed"] is True
    recorded = [e.payload.amount for e in service.events(InvoicePaymentRecorded.routing_key())]
    assert recorded == [1500, -1500]
    # Paid again later: a second paid event, since it is a new fact.
    await handle_event(db, PAYMENTS, matched(ws, issued, "1500"), EVENTS)
    assert len(service.events(InvoicePaid.routing_key())) == 2


async def test_payments_that_cannot_apply_are_refused_so_they_park(owner, issued, db):
    ws = owner.workspace_id
    with pytest.raises(PaymentRefused):
        await handle_event(db, PAYMENTS, matched(ws, issued, "1500", currency="EUR"), EVENTS)
    with pytest.raises(PaymentRefused):
        await handle_event(db, PAYMENTS, matched(uuid.uuid4(), issued, "1500"), EVENTS)
    with pytest.raises(PaymentRefused):
        await handle_event(db, PAYMENTS, unmatched(ws, matched(ws, issued, "1")), EVENTS)
    invoice = owner.ok("GET", f"/api/v1/invoices/{issued}")
    assert (invoice["status"], invoice["payments"]) == ("issued", [])
