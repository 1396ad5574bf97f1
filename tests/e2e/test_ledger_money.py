"""The ledger for real: bank payments meet invoices, and booked money changes only by entries."""

import uuid
from datetime import UTC, date, datetime

import aio_pika
import pytest

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.invoicing import InvoiceIssued
from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def issue_invoice(system, workspace_id: str, number: str, vs: str, total: str):
    """Publish what invoicing publishes when it issues an invoice, as invoicing's broker user."""
    payload = InvoiceIssued(
        invoice_id=uuid.uuid4(),
        number=number,
        variable_symbol=vs,
        client_id=uuid.uuid4(),
        client_name="Acme Consulting GmbH",
        total=total,
        currency="CZK",
        issue_date=date(2025, 12, 15),
        due_date=date(2026, 1, 31),
    )
    envelope = Envelope[InvoiceIssued](
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="invoicing",
        workspace_id=uuid.UUID(workspace_id),
        actor=Actor(type="user", id=str(uuid.uuid4())),
        payload=payload,
    )
    connection = await aio_pika.connect(system.broker_url("invoicing"))
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kasa.events", ensure=False)
        await exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.event_id),
                user_id=system.broker_user("invoicing"),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.routing_key,
            mandatory=True,
        )
    finally:
        await connection.close()
    return payload


async def by_external_id(user, external_id: str) -> dict:
    [found] = [
        t for t in await user.all_items("/api/v1/transactions") if t["external_id"] == external_id
    ]
    return found


async def test_bank_payments_are_matched_to_invoices_before_and_after_they_arrive(system):
    user = await system.user()
    workspace = user.user["workspace_id"]
    first = await issue_invoice(system, workspace, "2026-0001", "20260001", "12100.00")

    sync_id = await user.start_sync(20)
    await user.wait_sync(sync_id)
    await eventually(
        lambda: user.count("/api/v1/transactions"), lambda n: n >= 20, what="20 transactions"
    )
    paid = await eventually(
        lambda: by_external_id(user, "demo-0000000"),
        lambda t: t["invoice_id"] is not None,
        what="the first payment matched",
    )
    assert paid["invoice_id"] == str(first.invoice_id)
    assert paid["matched_amount"] == "12100.00"

    # This payment was booked before the ledger heard of its invoice.
    second = await issue_invoice(system, workspace, "2026-0002", "20260002", "36300.00")
    late = await eventually(
        lambda: by_external_id(user, "demo-0000005"),
        lambda t: t["invoice_id"] is not None,
        what="the earlier payment matched when its invoice arrived",
    )
    assert late["invoice_id"] == str(second.invoice_id)

    entries = await eventually(
        lambda: user.all_items("/api/v1/audit-events", event_type="ledger.payment.matched"),
        lambda items: len(items) >= 2,
        what="matches in the audit trail",
    )
    assert len(entries) == 2

    undone = await user.http.delete(
        f"/api/v1/transactions/{late['id']}/match", headers=user.headers
    )
    assert undone.status_code == 204
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="ledger.payment.unmatched"),
        lambda n: n == 1,
        what="the unmatch in the audit trail",
    )
    assert (await by_external_id(user, "demo-0000005"))["invoice_id"] is None


async def test_manual_money_is_idempotent_and_corrected_by_linked_entries(system):
    user = await system.user()
    cash = {
        "type": "expense",
        "amount": "480.00",
        "currency": "CZK",
        "transacted_on": "2026-02-03",
        "description": "Train to a client",
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await user.post("/api/v1/transactions", json=cash, headers=key)
    retried = await user.post("/api/v1/transactions", json=cash, headers=key)
    assert first.status_code == retried.status_code == 201, first.text
    assert first.json()["id"] == retried.json()["id"]
    assert (
        await user.post("/api/v1/transactions", json=cash | {"amount": "1"}, headers=key)
    ).status_code == 422
    tx = first.json()

    corrected = await user.post(
        f"/api/v1/transactions/{tx['id']}/corrections",
        json={"amount": "520.00", "reason": "ticket change fee"},
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["transaction"]["amount"] == "480.00"
    assert corrected.json()["transaction"]["effective_amount"] == "520.00"
    edited = await user.http.patch(
        f"/api/v1/transactions/{tx['id']}",
        json={"category": "travel", "tags": ["client-a"]},
        headers=user.headers,
    )
    assert edited.status_code == 200 and edited.json()["category"] == "travel"

    trail = await eventually(
        lambda: user.all_items("/api/v1/audit-events", event_type="ledger.transaction.corrected"),
        lambda items: len(items) == 1,
        what="the correction in the audit trail",
    )
    assert trail[0]["actor"]["type"] == "user"
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="ledger.transaction.updated"),
        lambda n: n == 1,
        what="the metadata change in the audit trail",
    )
    stranger = await system.user()
    assert (await stranger.get(f"/api/v1/transactions/{tx['id']}")).status_code == 404
