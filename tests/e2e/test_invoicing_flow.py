"""Invoicing for real: work to a paid invoice, audit, PDF, QR and the portal, via the gateway."""

import uuid
from datetime import UTC, date, datetime

import aio_pika
import pytest

from kasa_contracts import Actor, Envelope
from kasa_contracts.events.ledger import PaymentMatched
from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def call(user, method, path, status=200, **kwargs):
    response = await user.http.request(method, path, headers=user.headers, **kwargs)
    assert response.status_code == status, response.text
    return (
        response.json() if response.headers.get("content-type", "").endswith("json") else response
    )


async def publish_match(system, workspace_id: str, invoice_id: str, amount: str) -> None:
    """What the ledger publishes when it matched a bank payment to the invoice, as the ledger."""
    payload = PaymentMatched(
        match_id=uuid.uuid4(),
        invoice_id=uuid.UUID(invoice_id),
        transaction_id=uuid.uuid4(),
        amount=amount,
        currency="CZK",
        paid_on=date(2026, 4, 2),
        reason="variable_symbol",
    )
    envelope = Envelope[PaymentMatched](
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        event_version=1,
        occurred_at=datetime.now(UTC),
        producer="ledger",
        workspace_id=uuid.UUID(workspace_id),
        actor=Actor(type="system", id="ledger"),
        payload=payload,
    )
    connection = await aio_pika.connect(system.broker_url("ledger"))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kasa.events")
        await exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.event_id),
                user_id=system.broker_user("ledger"),
                type=envelope.routing_key,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.routing_key,
            mandatory=True,
        )


async def audit_types(user, entity_type: str) -> set[str]:
    entries = await user.all_items("/api/v1/audit-events", entity_type=entity_type)
    return {e["event_type"] for e in entries}


async def test_from_work_to_a_paid_invoice(system):
    user = await system.user()
    workspace_id = user.user["workspace_id"]
    await call(
        user,
        "PUT",
        "/api/v1/supplier",
        json={"name": "Jana Nováková", "iban": "CZ6508000000192000145399", "bic": "GIBACZPX"},
    )
    client = await call(
        user,
        "POST",
        "/api/v1/clients",
        201,
        json={"name": "Acme s.r.o.", "language": "cs", "hourly_rate": "1000"},
    )
    project = await call(
        user, "POST", "/api/v1/projects", 201, json={"client_id": client["id"], "name": "Web"}
    )
    entries = [
        await call(
            user,
            "POST",
            "/api/v1/work-entries",
            201,
            json={"project_id": project["id"], "work_date": day, "minutes": 90},
        )
        for day in ("2026-03-02", "2026-03-03")
    ]
    body = {"client_id": client["id"], "project_id": project["id"], "from": "2026-03-01"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    draft = await user.post("/api/v1/invoices", json=body, headers=key)
    retried = await user.post("/api/v1/invoices", json=body, headers=key)
    assert draft.status_code == retried.status_code == 201, draft.text
    assert draft.json()["id"] == retried.json()["id"]
    invoice_id = draft.json()["id"]
    assert sorted(i for line in draft.json()["lines"] for i in line["work_entry_ids"]) == sorted(
        e["id"] for e in entries
    )
    issued = await call(
        user, "POST", f"/api/v1/invoices/{invoice_id}/issue", json={"issue_date": "2026-03-31"}
    )
    assert (issued["number"], issued["total"], issued["status"]) == (
        "2026-0001",
        "3000.00",
        "issued",
    )

    pdf = await user.get(f"/api/v1/invoices/{invoice_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    qr = await user.get(f"/api/v1/invoices/{invoice_id}/payment-qr")
    assert qr.status_code == 200 and qr.headers["x-payment-qr"] == "spayd"

    # Two payments through RabbitMQ, as the ledger would send them.
    await publish_match(system, workspace_id, invoice_id, "1000")
    await publish_match(system, workspace_id, invoice_id, "2000")

    async def status():
        return (await call(user, "GET", f"/api/v1/invoices/{invoice_id}"))["status"]

    await eventually(status, lambda s: s == "paid", what="the invoice paid")

    await eventually(
        lambda: audit_types(user, "invoice"),
        lambda types: (
            {
                "invoicing.invoice.drafted",
                "invoicing.invoice.issued",
                "invoicing.invoice.payment_recorded",
                "invoicing.invoice.paid",
            }
            <= types
        ),
        what="the invoice's audit trail",
    )
    created = await user.all_items(
        "/api/v1/audit-events", event_type="invoicing.client.created", entity_id=client["id"]
    )
    assert created and created[0]["changes"]["name"]["after"] == "Acme s.r.o."
    assert created[0]["actor"]["type"] == "user"

    stranger = await system.user()
    assert (await stranger.get(f"/api/v1/invoices/{invoice_id}")).status_code == 404
    assert (await stranger.get(f"/api/v1/clients/{client['id']}")).status_code == 404


async def test_the_portal_through_the_gateway(system):
    user = await system.user()
    await call(
        user, "PUT", "/api/v1/supplier", json={"name": "Jana", "iban": "DE89370400440532013000"}
    )
    client = await call(
        user,
        "POST",
        "/api/v1/clients",
        201,
        json={"name": "Euro GmbH", "currency": "EUR", "language": "en", "hourly_rate": "80"},
    )
    project = await call(
        user, "POST", "/api/v1/projects", 201, json={"client_id": client["id"], "name": "API"}
    )
    entry = await call(
        user,
        "POST",
        "/api/v1/work-entries",
        201,
        json={"project_id": project["id"], "work_date": "2026-03-02", "fixed_amount": "1234.5"},
    )
    invoice = await call(
        user,
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client["id"], "work_entry_ids": [entry["id"]]},
    )
    await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/issue")
    link = await call(user, "POST", f"/api/v1/invoices/{invoice['id']}/share", 201, json={})

    page = await user.http.get(link["url"])
    assert page.status_code == 200 and "€1,234.50" in page.text
    pdf = await user.http.get(f"{link['url']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    await call(user, "DELETE", f"/api/v1/invoices/{invoice['id']}/share", 204)
    gone = await user.http.get(link["url"])
    unknown = await user.http.get("/portal/" + "x" * 43)
    assert gone.status_code == unknown.status_code == 404 and gone.text == unknown.text
    await eventually(
        lambda: audit_types(user, "invoice"),
        lambda types: {"invoicing.invoice.shared", "invoicing.invoice.portal_viewed"} <= types,
        what="portal views in the audit trail",
    )
