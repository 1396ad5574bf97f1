"""Accounts: seen in imports or added by hand, with balances derived from transactions."""

from uuid import uuid4

from kasa_contracts.events.integrations import BankAccountRef
from kasa_contracts.events.ledger import AccountCreated, AccountUpdated
from kasa_servicekit.testing import outbox_events

from .conftest import bank_movement


async def test_a_bank_account_is_created_from_imports_and_its_balance_follows_them(ledger):
    await ledger.deliver(bank_movement(external_id="a", amount="1000.00"))
    await ledger.deliver(bank_movement(external_id="b", amount="250.25", direction="expense"))
    [account] = (await ledger.http.get("/api/v1/accounts")).json()["items"]
    assert (account["kind"], account["iban"], account["currency"]) == (
        "bank",
        "CZ6508000000192000145399",
        "CZK",
    )
    assert account["balances"] == [{"currency": "CZK", "amount": "749.75"}]
    [created] = await outbox_events(ledger.db, AccountCreated.routing_key())
    assert created.actor.id == "fio"

    patched = await ledger.http.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"name": "Business account", "opening_balance": "10000", "opening_date": "2026-01-01"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["balances"] == [{"currency": "CZK", "amount": "10749.75"}]
    [updated] = await outbox_events(ledger.db, AccountUpdated.routing_key())
    assert updated.payload.changes["opening_balance"].after == "10000"

    tx = await ledger.transaction("b")
    await ledger.http.post(f"/api/v1/transactions/{tx['id']}/void", json={"reason": "refunded"})
    again = (await ledger.http.get(f"/api/v1/accounts/{account['id']}")).json()
    assert again["balances"] == [{"currency": "CZK", "amount": "11000.00"}], "voids count"


async def test_manual_accounts_hold_manual_money_per_currency(ledger):
    body = {"name": "Wallet", "kind": "wallet", "currency": "EUR", "opening_balance": "50"}
    key = {"Idempotency-Key": "wallet"}
    created = await ledger.http.post("/api/v1/accounts", json=body, headers=key)
    assert created.status_code == 201, created.text
    assert (
        await ledger.http.post("/api/v1/accounts", json=body, headers=key)
    ).json() == created.json()
    wallet = created.json()
    spent = {
        "type": "expense",
        "amount": "12.40",
        "currency": "EUR",
        "transacted_on": "2026-02-01",
        "account_id": wallet["id"],
    }
    assert (await ledger.http.post("/api/v1/transactions", json=spent)).status_code == 201
    czk = spent | {"currency": "CZK", "amount": "100", "type": "income"}
    assert (await ledger.http.post("/api/v1/transactions", json=czk)).status_code == 201
    balances = (await ledger.http.get(f"/api/v1/accounts/{wallet['id']}")).json()["balances"]
    assert balances == [
        {"currency": "CZK", "amount": "100.00"},
        {"currency": "EUR", "amount": "37.60"},
    ]
    stranger = ledger.issuer.headers(uuid4())
    assert (
        await ledger.http.get(f"/api/v1/accounts/{wallet['id']}", headers=stranger)
    ).status_code == 404
    foreign = spent | {"account_id": str(uuid4())}
    assert (await ledger.http.post("/api/v1/transactions", json=foreign)).status_code == 422


async def test_the_same_bank_account_in_two_currencies_is_two_accounts(ledger):
    eur = BankAccountRef(provider_account_id="x", iban="CZ6508000000192000145399", currency="EUR")
    await ledger.deliver(bank_movement(external_id="a"))
    await ledger.deliver(bank_movement(external_id="b", account=eur, currency="EUR"))
    items = (await ledger.http.get("/api/v1/accounts")).json()["items"]
    assert sorted(a["currency"] for a in items) == ["CZK", "EUR"]
