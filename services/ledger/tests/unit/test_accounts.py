"""Accounts: how bank accounts are told apart and what their events say."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from kasa_contracts.events.integrations import BankAccountRef
from kasa_ledger.domain.accounts import account_created, bank_account, bank_ref, edits

NOW = datetime(2026, 2, 10, tzinfo=UTC)


def test_a_bank_account_is_known_by_iban_then_number_then_provider_id():
    assert bank_ref(BankAccountRef(provider_account_id="7", iban="CZ65", currency="CZK")) == "CZ65"
    domestic = BankAccountRef(provider_account_id="7", account_number="19/0800", currency="CZK")
    assert bank_ref(domestic) == "19/0800"
    assert bank_ref(BankAccountRef(provider_account_id="7", currency="CZK")) == "provider:7"


def test_a_new_bank_account_and_its_event():
    ref = BankAccountRef(provider_account_id="7", account_number="19/0800", currency="EUR")
    row = bank_account(uuid4(), ref, account_id=uuid4(), created_at=NOW)
    assert (row["name"], row["kind"], row["bank_ref"], row["currency"]) == (
        "19/0800",
        "bank",
        "19/0800",
        "EUR",
    )
    event = account_created(row)
    assert (event.account_id, event.kind, event.currency) == (row["id"], "bank", "EUR")
    shown = {name: change.after for name, change in event.changes.items()}
    assert shown == {
        "name": "19/0800",
        "kind": "bank",
        "currency": "EUR",
        "account_number": "19/0800",
        "opening_balance": "0",
    }


def test_an_event_shows_an_opening_balance_and_date_in_their_wire_form():
    row = bank_account(
        uuid4(),
        BankAccountRef(provider_account_id="7", currency="CZK"),
        account_id=uuid4(),
        created_at=NOW,
    ) | {"opening_balance": Decimal("1500.50"), "opening_date": date(2026, 1, 1)}
    changes = account_created(row).changes
    assert (changes["opening_balance"].after, changes["opening_date"].after) == (
        "1500.5",
        "2026-01-01",
    )


def test_an_edit_may_clear_only_the_opening_date():
    assert edits({"name": None, "opening_balance": None, "opening_date": None}) == {
        "opening_date": None
    }
    assert edits({"name": "Business"}) == {"name": "Business"}
