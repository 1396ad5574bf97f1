""" "Why is this invoice paid?": the trail leads from the paid invoice back to the user's sync.

The user asks the demo bank to sync; it imports a payment carrying an issued invoice's variable
symbol; the ledger books and matches it; invoicing marks the invoice paid. Each step names the
event that caused it, and all of them share the sync's correlation id.
"""

import asyncio
from datetime import datetime
from typing import Any

import pytest

from kasa_localstack.testing import eventually, issue_invoice, metric

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

DEMO = {"service": "integrations", "plugin": "demo", "plugin_version": "1.0.0"}


async def ok(response) -> Any:
    assert response.is_success, response.text
    return response.json() if response.content else None


def invoices_heard_by_ledger(system) -> Any:
    return metric(
        system.ops_url("ledger"),
        "kasa_events_consumed_total",
        queue="ledger.invoices",
        outcome="handled",
    )


async def invoice_events_at_rest(system) -> float:
    """The ledger's count of invoice events once earlier tests' events stopped arriving."""
    last = await invoices_heard_by_ledger(system)
    for _ in range(60):
        await asyncio.sleep(0.5)
        now = await invoices_heard_by_ledger(system)
        if now == last:
            return float(now)
        last = now
    raise AssertionError("the ledger keeps receiving invoice events")


def one(entries: list[dict[str, Any]], event_type: str, **fields: Any) -> dict[str, Any]:
    hits = [
        e
        for e in entries
        if e["event_type"] == event_type and all(e[k] == v for k, v in fields.items())
    ]
    assert len(hits) == 1, (event_type, fields, hits)
    return hits[0]


async def test_a_paid_invoice_leads_back_through_the_match_and_import_to_the_users_sync(system):
    user = await system.user()
    heard = await invoice_events_at_rest(system)
    invoice = await issue_invoice(user)
    # The payment must find the invoice known to the ledger; otherwise the invoice's arrival,
    # not the payment's, would be what matched them.
    await eventually(
        lambda: invoices_heard_by_ledger(system),
        lambda n: n >= heard + 1,
        what="the ledger heard of the invoice",
    )
    payment = {
        "variable_symbol": invoice["variable_symbol"],
        "amount": invoice["total"],
        "currency": invoice["currency"],
        "payer": "Acme",
    }
    await ok(
        await user.http.put(
            "/api/v1/plugins/demo/config",
            headers=user.headers,
            json={"enabled": True, "settings": {"invoice_payments": [payment]}},
        )
    )
    # The first of the demo bank's five transactions is the payment of the invoice.
    sync_id = await user.start_sync(5)
    assert (await user.wait_sync(sync_id))["status"] == "completed"

    # Start from the invoice, as someone asking the question would.
    [paid] = await eventually(
        lambda: user.all_items(
            "/api/v1/audit-events",
            entity_type="invoice",
            entity_id=invoice["id"],
            event_type="invoicing.invoice.paid",
        ),
        lambda items: len(items) == 1,
        what="the invoice paid in the trail",
    )
    assert paid["correlation_id"] == sync_id
    assert paid["source"] == {"service": "invoicing"}

    wanted = {
        "integrations.sync.requested",
        "integrations.sync.started",
        "integrations.transaction.imported",
        "ledger.transaction.recorded",
        "ledger.payment.matched",
        "invoicing.invoice.payment_recorded",
        "invoicing.invoice.paid",
        "integrations.sync.completed",
    }
    entries = await eventually(
        lambda: user.all_items("/api/v1/audit-events", correlation_id=sync_id),
        lambda items: wanted <= {e["event_type"] for e in items},
        what="the sync's chain in the trail",
    )

    requested = one(entries, "integrations.sync.requested")
    assert requested["actor"]["type"] == "user"
    assert requested["actor"]["id"] == user.user["user_id"]
    assert requested["source"] == DEMO
    assert requested["entity_type"] == "sync" and requested["entity_id"] == sync_id
    started = one(entries, "integrations.sync.started")
    imported = one(entries, "integrations.transaction.imported", entity_id="demo-0000000")
    assert imported["actor"] == {"type": "plugin", "id": "demo", "name": "Demo bank"}
    assert imported["source"] == DEMO
    recorded = one(entries, "ledger.transaction.recorded", causation_id=imported["event_id"])
    assert recorded["source"] == {"service": "ledger"}
    matched = one(entries, "ledger.payment.matched")
    assert matched["source"] == {"service": "ledger"}
    recorded_payment = one(entries, "invoicing.invoice.payment_recorded")
    assert recorded_payment["entity_id"] == invoice["id"]

    # Each step names its cause. The ledger books and matches the payment in one go, so the
    # match names the import (or the booking) it came from.
    assert started["causation_id"] == requested["event_id"]
    assert imported["causation_id"] == requested["event_id"]
    assert matched["causation_id"] in (imported["event_id"], recorded["event_id"])
    assert recorded_payment["causation_id"] == matched["event_id"]
    assert paid["causation_id"] == matched["event_id"]
    chain = [requested, started, imported, recorded, matched, paid]
    occurred = [datetime.fromisoformat(e["occurred_at"]) for e in chain]
    assert occurred == sorted(occurred), [(e["event_type"], e["occurred_at"]) for e in chain]

    # The chain names the very transaction and invoice the user sees.
    [booked] = [
        t for t in await user.all_items("/api/v1/transactions") if t["invoice_id"] == invoice["id"]
    ]
    assert recorded["entity_id"] == booked["id"]
    assert booked["external_id"] == "demo-0000000"
    assert (await ok(await user.get(f"/api/v1/invoices/{invoice['id']}")))["status"] == "paid"
    await user.close()
