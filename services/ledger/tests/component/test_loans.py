"""Loans through the API: created once per key, scheduled, and linked to their payments."""

from decimal import Decimal
from uuid import uuid4

from .conftest import bank_movement

D = Decimal


async def test_a_loan_through_the_api(ledger):
    body = {
        "name": "Car",
        "principal": "100000",
        "currency": "CZK",
        "annual_rate": "6",
        "term_months": 12,
        "first_due": "2026-01-31",
    }
    created = await ledger.http.post("/api/v1/loans", json=body, headers={"Idempotency-Key": "k"})
    assert created.status_code == 201, created.text
    again = await ledger.http.post("/api/v1/loans", json=body, headers={"Idempotency-Key": "k"})
    assert again.json()["id"] == created.json()["id"]
    loan = created.json()
    assert loan["monthly_payment"] == "8606.64"
    plan = (await ledger.http.get(f"/api/v1/loans/{loan['id']}/schedule")).json()
    assert len(plan["installments"]) == 12
    assert plan["installments"][0] == {
        "number": 1,
        "transaction_id": None,
        "paid_on": None,
        "paid_amount": None,
        "due_on": "2026-01-31",
        "payment": "8606.64",
        "principal": "8106.64",
        "interest": "500.00",
        "balance_after": "91893.36",
    }
    assert plan["installments"][-1]["balance_after"] == "0.00"
    assert sum(D(i["principal"]) for i in plan["installments"]) == D("100000")
    stranger = ledger.issuer.headers(uuid4())
    assert (
        await ledger.http.get(f"/api/v1/loans/{loan['id']}/schedule", headers=stranger)
    ).status_code == 404
    assert (
        await ledger.http.post("/api/v1/loans", json=body | {"annual_rate": 6.0})
    ).status_code == 422


async def test_installments_link_to_the_expenses_that_paid_them(ledger):
    body = {
        "name": "Mortgage",
        "principal": "2400",
        "currency": "CZK",
        "annual_rate": "0",
        "term_months": 12,
        "first_due": "2026-01-15",
    }
    loan = (await ledger.http.post("/api/v1/loans", json=body)).json()
    await ledger.deliver(bank_movement(external_id="p1", direction="expense", amount="200"))
    await ledger.deliver(bank_movement(external_id="in", amount="200"))
    paid = await ledger.transaction("p1")
    url = f"/api/v1/loans/{loan['id']}/payments"
    linked = await ledger.http.post(url, json={"installment": 1, "transaction_id": paid["id"]})
    assert linked.status_code == 201, linked.text
    assert linked.json()["transaction_id"] == paid["id"]
    plan = (await ledger.http.get(f"/api/v1/loans/{loan['id']}/schedule")).json()
    assert [i["transaction_id"] for i in plan["installments"][:2]] == [paid["id"], None]
    again = await ledger.http.post(url, json={"installment": 2, "transaction_id": paid["id"]})
    assert again.status_code == 409
    income = await ledger.transaction("in")
    wrong = await ledger.http.post(url, json={"installment": 2, "transaction_id": income["id"]})
    assert wrong.status_code == 422


async def test_paying_an_installment_books_the_expense_and_links_it_once(ledger):
    loan = (
        await ledger.http.post(
            "/api/v1/loans",
            json={
                "name": "Car",
                "principal": "100000",
                "currency": "CZK",
                "annual_rate": "6",
                "term_months": 12,
                "first_due": "2026-01-31",
            },
        )
    ).json()
    cash = await ledger.http.post(
        "/api/v1/accounts", json={"name": "Cash", "kind": "cash", "currency": "CZK"}
    )
    path = f"/api/v1/loans/{loan['id']}/installments/1/payment"
    body = {"paid_on": "2026-01-30", "account_id": cash.json()["id"]}
    viewer = ledger.issuer.headers(ledger.workspace_id, role="viewer")
    assert (await ledger.http.post(path, json=body, headers=viewer)).status_code == 403
    paid = await ledger.http.post(path, json=body, headers={"Idempotency-Key": "pay-1"})
    assert paid.status_code == 201, paid.text
    again = await ledger.http.post(path, json=body, headers={"Idempotency-Key": "pay-1"})
    assert again.json() == paid.json()
    tx_id = paid.json()["transaction_id"]
    tx = (await ledger.http.get(f"/api/v1/transactions/{tx_id}")).json()
    assert (tx["type"], tx["amount"], tx["transacted_on"]) == ("expense", "8606.64", "2026-01-30")
    assert tx["account_id"] == cash.json()["id"]
    plan = (await ledger.http.get(f"/api/v1/loans/{loan['id']}/schedule")).json()
    first = plan["installments"][0]
    assert (first["transaction_id"], first["paid_on"], first["paid_amount"]) == (
        tx_id,
        "2026-01-30",
        "8606.64",
    )
    # Paid already: refused, and nothing more is booked.
    twice = await ledger.http.post(path, json=body)
    assert twice.status_code == 409
    listed = (await ledger.http.get("/api/v1/transactions", params={"limit": 50})).json()
    assert len(listed["items"]) == 1
    beyond = await ledger.http.post(
        f"/api/v1/loans/{loan['id']}/installments/13/payment", json=body
    )
    assert beyond.status_code == 422
    stranger = ledger.issuer.headers(uuid4())
    assert (await ledger.http.post(path, json=body, headers=stranger)).status_code == 404
