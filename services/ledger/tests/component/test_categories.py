"""Category rules: imported money lands in its category, and a user's choice always wins."""

from uuid import uuid4

from kasa_contracts.events.ledger import TransactionRecorded
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement, day_totals, day_totals_from_entries


async def rule(ledger, name, **conditions):
    category = await ledger.http.post("/api/v1/categories", json={"name": name})
    assert category.status_code == 201, category.text
    created = await ledger.http.post(
        "/api/v1/categories/rules", json={"category_id": category.json()["id"], **conditions}
    )
    assert created.status_code == 201, created.text
    return created.json()


async def test_imports_are_categorized_and_hand_set_categories_are_kept(ledger):
    await rule(ledger, "rent", description_contains="najem", direction="expense")
    await ledger.deliver(
        bank_movement(external_id="a", direction="expense", message="Najem unor", amount="18000")
    )
    await ledger.deliver(bank_movement(external_id="b", message="Najem od podnajemnika"))
    assert (await ledger.transaction("a"))["category"] == "rent"
    assert (await ledger.transaction("b"))["category"] is None, "rent paid, not received"
    recorded = await outbox_events(ledger.db, TransactionRecorded.routing_key())
    assert [e.payload.category for e in recorded] == ["rent", None]

    tx = await ledger.transaction("a")
    await ledger.http.patch(f"/api/v1/transactions/{tx['id']}", json={"category": "office"})
    await rule(ledger, "housing", description_contains="najem", priority=1)
    applied = await ledger.http.post("/api/v1/categories/rules/apply")
    assert applied.json() == {"categorized": 1}, "only the transaction without a hand-set one"
    assert (await ledger.transaction("a"))["category"] == "office"
    assert (await ledger.transaction("b"))["category"] == "housing"
    # The cash-flow report's days moved with both changes of category.
    assert await day_totals(ledger) == await day_totals_from_entries(ledger)


async def test_rules_need_a_condition_and_a_currency_for_amounts(ledger):
    category = (await ledger.http.post("/api/v1/categories", json={"name": "x"})).json()
    empty = await ledger.http.post("/api/v1/categories/rules", json={"category_id": category["id"]})
    assert empty.status_code == 422
    no_currency = await ledger.http.post(
        "/api/v1/categories/rules", json={"category_id": category["id"], "min_amount": "10"}
    )
    assert no_currency.status_code == 422
    assert (await ledger.http.post("/api/v1/categories", json={"name": "x"})).status_code == 409
    stranger = ledger.issuer.headers(uuid4())
    foreign = await ledger.http.post(
        "/api/v1/categories/rules",
        json={"category_id": category["id"], "direction": "income"},
        headers=stranger,
    )
    assert foreign.status_code == 422
