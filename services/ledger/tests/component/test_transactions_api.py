"""The transactions API through the real app: reading, manual entries, corrections, metadata."""

from uuid import uuid4

from kasa_contracts.events.ledger import (
    TransactionCorrected,
    TransactionRecorded,
    TransactionUpdated,
)
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement

CASH = {
    "type": "expense",
    "amount": "250.50",
    "currency": "CZK",
    "transacted_on": "2026-02-03",
    "description": "Taxi",
    "category": "travel",
    "tags": ["client-visit"],
}


async def test_filters_find_what_a_user_looks_for(ledger):
    await ledger.deliver(bank_movement(external_id="a", booking_date="2026-01-05", message="Rent"))
    await ledger.deliver(
        bank_movement(
            external_id="b", booking_date="2026-02-05", direction="expense", message="Groceries"
        )
    )
    await ledger.deliver(bank_movement(external_id="c", booking_date="2026-03-05", amount="7.5"))
    created = await ledger.http.post("/api/v1/transactions", json=CASH)
    assert created.status_code == 201, created.text

    async def keys(**params):
        response = await ledger.http.get("/api/v1/transactions", params=params)
        assert response.status_code == 200, response.text
        return [t["external_id"] or t["source"] for t in response.json()["items"]]

    assert await keys() == ["c", "b", "manual", "a"], "newest first"
    assert await keys(**{"from": "2026-02-01", "to": "2026-02-28"}) == ["b", "manual"]
    assert await keys(type="expense") == ["b", "manual"]
    assert await keys(source="manual") == ["manual"]
    assert await keys(category="travel") == ["manual"]
    assert await keys(q="GROCER") == ["b"]
    assert await keys(unmatched="true") == ["c", "a"], "income not applied to any invoice"
    account_id = (await ledger.transaction("a"))["account_id"]
    assert await keys(account_id=account_id) == ["c", "b", "a"]

    page = (await ledger.http.get("/api/v1/transactions", params={"limit": 3})).json()
    rest = (
        await ledger.http.get(
            "/api/v1/transactions", params={"limit": 3, "cursor": page["next_cursor"]}
        )
    ).json()
    assert len(page["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert (await ledger.transaction("c"))["amount"] == "7.50", "at the currency's precision"


async def test_a_manual_transaction_honours_its_idempotency_key(ledger):
    key = {"Idempotency-Key": "cash-2026-02-03"}
    first = await ledger.http.post("/api/v1/transactions", json=CASH, headers=key)
    again = await ledger.http.post("/api/v1/transactions", json=CASH, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = await ledger.http.post(
        "/api/v1/transactions", json=CASH | {"amount": "999"}, headers=key
    )
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    without_key = await ledger.http.post("/api/v1/transactions", json=CASH)
    assert without_key.json()["id"] != first.json()["id"]

    body = first.json()
    assert (body["source"], body["amount"], body["tags"]) == ("manual", "250.50", ["client-visit"])
    assert len(await outbox_events(ledger.db, TransactionRecorded.routing_key())) == 2
    fetched = await ledger.http.get(f"/api/v1/transactions/{body['id']}")
    assert fetched.json() == body


async def test_money_is_refused_as_a_float_and_workspaces_do_not_see_each_other(ledger):
    assert (
        await ledger.http.post("/api/v1/transactions", json=CASH | {"amount": 250.5})
    ).status_code == 422
    assert (
        await ledger.http.post("/api/v1/transactions", json=CASH | {"workspace_id": str(uuid4())})
    ).status_code == 422, "the workspace comes from the token only"
    mine = (await ledger.http.post("/api/v1/transactions", json=CASH)).json()
    stranger = ledger.issuer.headers(uuid4())
    assert (
        await ledger.http.get(f"/api/v1/transactions/{mine['id']}", headers=stranger)
    ).status_code == 404
    assert (
        await ledger.http.patch(
            f"/api/v1/transactions/{mine['id']}", json={"notes": "x"}, headers=stranger
        )
    ).status_code == 404
    listed = await ledger.http.get("/api/v1/transactions", headers=stranger)
    assert listed.json()["items"] == []
    viewer = ledger.issuer.headers(ledger.workspace_id, role="viewer")
    assert (
        await ledger.http.post("/api/v1/transactions", json=CASH, headers=viewer)
    ).status_code == 403


async def test_metadata_edits_publish_before_and_after(ledger):
    await ledger.deliver(bank_movement(external_id="a"))
    tx = await ledger.transaction("a")
    response = await ledger.http.patch(
        f"/api/v1/transactions/{tx['id']}",
        json={"category": "sales", "notes": "January retainer", "tags": ["retainer"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["category"], body["notes"], body["tags"]) == (
        "sales",
        "January retainer",
        ["retainer"],
    )
    assert (body["amount"], body["transacted_on"]) == (tx["amount"], tx["transacted_on"])
    noop = await ledger.http.patch(
        f"/api/v1/transactions/{tx['id']}", json={"notes": "January retainer"}
    )
    assert noop.status_code == 200
    [event] = await outbox_events(ledger.db, TransactionUpdated.routing_key())
    assert event.actor.type == "user"
    changes = {name: (c.before, c.after) for name, c in event.payload.changes.items()}
    assert changes == {
        "category": (None, "sales"),
        "notes": (None, "January retainer"),
        "tags": ([], ["retainer"]),
    }
    refused = await ledger.http.patch(f"/api/v1/transactions/{tx['id']}", json={"amount": "1"})
    assert refused.status_code == 422, "booked money is not editable"


async def test_a_correction_is_a_linked_entry_and_the_original_never_changes(ledger):
    await ledger.deliver(bank_movement(external_id="a", amount="1000.00"))
    tx = await ledger.transaction("a")
    url = f"/api/v1/transactions/{tx['id']}/corrections"
    key = {"Idempotency-Key": "fix-1"}
    lowered = await ledger.http.post(url, json={"amount": "900", "reason": "fee"}, headers=key)
    assert lowered.status_code == 201, lowered.text
    again = await ledger.http.post(url, json={"amount": "900", "reason": "fee"}, headers=key)
    assert again.json() == lowered.json(), "a retried correction is not booked twice"
    body = lowered.json()
    assert body["transaction"]["amount"] == "1000.00", "the booked amount stays"
    assert body["transaction"]["effective_amount"] == "900.00"
    adjustment = body["adjustment"]
    assert (adjustment["kind"], adjustment["type"], adjustment["amount"]) == (
        "adjustment",
        "expense",
        "100.00",
    )
    assert adjustment["adjusts_id"] == tx["id"]

    raised = await ledger.http.post(url, json={"amount": "1200", "reason": "bank fixed it"})
    assert raised.json()["transaction"]["effective_amount"] == "1200.00"
    assert raised.json()["adjustment"]["type"] == "income"
    same = await ledger.http.post(url, json={"amount": "1200", "reason": "again"})
    assert same.status_code == 422

    events = await outbox_events(ledger.db, TransactionCorrected.routing_key())
    assert [e.payload.changes["amount"].after for e in events] == ["900", "1200"]
    assert events[0].payload.changes["amount"].before == "1000"
    listed = (await ledger.http.get("/api/v1/transactions")).json()["items"]
    assert sorted(t["kind"] for t in listed) == ["adjustment", "adjustment", "entry"]


async def test_a_void_is_a_reversing_entry(ledger):
    await ledger.deliver(bank_movement(external_id="a", amount="1000.00", direction="expense"))
    tx = await ledger.transaction("a")
    response = await ledger.http.post(
        f"/api/v1/transactions/{tx['id']}/void", json={"reason": "duplicate card charge"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["transaction"]["voided"] is True
    assert body["transaction"]["effective_amount"] == "0.00"
    assert (body["adjustment"]["kind"], body["adjustment"]["type"]) == ("reversal", "income")
    assert body["adjustment"]["amount"] == "1000.00"
    [event] = await outbox_events(ledger.db, TransactionCorrected.routing_key())
    assert event.payload.kind == "void"
    assert event.payload.changes["voided"].before is False
    assert event.payload.changes["voided"].after is True
    twice = await ledger.http.post(
        f"/api/v1/transactions/{tx['id']}/void", json={"reason": "again"}
    )
    assert twice.status_code == 409
    correction = await ledger.http.post(
        f"/api/v1/transactions/{body['adjustment']['id']}/corrections",
        json={"amount": "5", "reason": "x"},
    )
    assert correction.status_code == 409, "adjustments are not corrected on their own"
