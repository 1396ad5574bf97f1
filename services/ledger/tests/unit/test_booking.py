"""Booking rules shared by every path: one import, a batch of imports, a manual entry."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_ledger.db.tables import Transaction
from kasa_ledger.domain.booking import editable, imported_entry, manual_row, new_entry
from kasa_ledger.domain.categorizing import Rule

WORKSPACE, ACCOUNT = uuid4(), uuid4()
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)
RENT = Rule(uuid4(), "rent", 10, description_contains="najem", direction="expense")


def movement(**overrides):
    fields = dict(
        plugin="fio",
        plugin_version="1.0.0",
        sync_id=uuid4(),
        account=BankAccountRef(provider_account_id="1", iban="CZ65080000001920", currency="CZK"),
        external_id="fio-1",
        booking_date=date(2026, 2, 10),
        amount="1500.50",
        direction="income",
        currency="CZK",
        counterparty_name="Acme s.r.o.",
        variable_symbol="0000123",
        message="Faktura",
    )
    return TransactionImported(**(fields | overrides))


def booked(imported, rules=()):
    return imported_entry(
        WORKSPACE, imported, ACCOUNT, list(rules), entry_id=uuid4(), created_at=NOW
    )


def test_an_import_is_booked_as_the_bank_reported_it_on_its_account():
    booking = booked(movement())
    values = booking.values
    assert (values["workspace_id"], values["source"], values["external_id"]) == (
        WORKSPACE,
        "fio",
        "fio-1",
    )
    assert booking.key == (WORKSPACE, "fio", "fio-1")
    assert values["amount"] == Decimal("1500.50")
    assert (values["variable_symbol"], values["vs_normalized"]) == ("0000123", "123")
    assert (values["account_id"], values["account_ref"]) == (ACCOUNT, "CZ65080000001920")
    assert (values["kind"], values["category"], values["category_set_by"]) == ("entry", None, None)


def test_the_recorded_event_tells_what_was_booked():
    booking = booked(movement(direction="expense", message="Najem unor"), [RENT])
    recorded = booking.recorded
    assert recorded.transaction_id == booking.id
    assert (recorded.source, recorded.external_id, recorded.type) == ("fio", "fio-1", "expense")
    assert (recorded.amount, recorded.currency) == (Decimal("1500.50"), "CZK")
    assert recorded.transacted_on == date(2026, 2, 10)
    assert recorded.category == "rent"


def test_rules_categorize_imports_but_never_a_category_a_user_set():
    assert (
        booked(movement(direction="expense", message="Najem"), [RENT]).values["category_set_by"]
        == "rule"
    )
    assert booked(movement(message="Najem"), [RENT]).values["category"] is None, "an income"
    by_hand = manual_row(
        WORKSPACE,
        {
            "type": "expense",
            "amount": Decimal("18000"),
            "currency": "CZK",
            "transacted_on": date(2026, 2, 1),
            "description": "Najem",
            "category": "housing",
            "tags": ("home",),
        },
    )
    entry = new_entry(by_hand, [RENT], entry_id=uuid4(), created_at=NOW).values
    assert (entry["category"], entry["category_set_by"]) == ("housing", "user")
    assert (entry["source"], entry["external_id"], entry["tags"]) == ("manual", None, ["home"])
    left_open = new_entry(
        by_hand | {"category": None, "category_set_by": None},
        [RENT],
        entry_id=uuid4(),
        created_at=NOW,
    ).values
    assert (left_open["category"], left_open["category_set_by"]) == ("rent", "rule")


def test_only_income_entries_are_looked_at_by_matching():
    assert booked(movement()).matchable
    assert not booked(movement(direction="expense")).matchable


def test_the_rows_of_a_batch_name_the_same_columns():
    # One multi-row insert needs every row of a batch to have the same keys.
    rows = [booked(movement(external_id=str(n), message=m), [RENT]) for n, m in enumerate("ab")]
    rows.append(booked(movement(external_id="c", direction="expense", message="najem"), [RENT]))
    assert len({tuple(sorted(r.values)) for r in rows}) == 1


def test_editable_metadata_shows_missing_tags_as_an_empty_list():
    tx = Transaction(category="sales", notes=None, tags=None)
    assert editable(tx) == {"category": "sales", "notes": None, "tags": []}
