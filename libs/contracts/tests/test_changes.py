"""Before/after values in events: one JSON form for decimals, dates and ids in every service."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from kasa_contracts.changes import FieldChange, diff, snapshot, wire_value

ID = UUID("01890a5d-ac96-774b-bcce-b302099a8057")


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        # PostgreSQL gives the column's scale, SQLite the shortest form: both read the same.
        (Decimal("1500.5000"), "1500.5"),
        (Decimal("1500.5"), "1500.5"),
        (Decimal("100.0000"), "100"),
        (Decimal("1.5005E+3"), "1500.5"),
        (Decimal("-0.0100"), "-0.01"),
        (Decimal("-0.0000"), "0"),
        (date(2026, 1, 31), "2026-01-31"),
        (datetime(2026, 1, 31, 8, 30, tzinfo=UTC), "2026-01-31T08:30:00+00:00"),
        (ID, "01890a5d-ac96-774b-bcce-b302099a8057"),
        ((Decimal("1.10"), ID), ["1.1", "01890a5d-ac96-774b-bcce-b302099a8057"]),
        ("Fio", "Fio"),
        (3, 3),
        (None, None),
        (True, True),
    ],
)
def test_a_value_has_one_wire_form(value, wire):
    assert wire_value(value) == wire


@dataclass
class Account:
    id: UUID
    name: str
    balance: Decimal
    opened_on: date
    token: str


def test_a_snapshot_holds_the_named_fields_in_their_wire_form():
    row = Account(ID, "Fio", Decimal("1500.50"), date(2026, 1, 1), "secret")

    assert snapshot(row, ["id", "balance", "opened_on"]) == {
        "id": str(ID),
        "balance": "1500.5",
        "opened_on": "2026-01-01",
    }


def test_a_diff_of_snapshots_shows_what_changed_and_hides_secrets():
    fields = ["name", "balance", "token"]
    before = snapshot(Account(ID, "Fio", Decimal("1500.50"), date(2026, 1, 1), "a"), fields)
    after = snapshot(Account(ID, "Fio", Decimal("1200.00"), date(2026, 1, 1), "b"), fields)

    assert diff(before, after, secret=["token"]) == {
        "balance": FieldChange(before="1500.5", after="1200"),
        "token": FieldChange(redacted=True),
    }


def test_a_create_shows_every_field_as_new():
    assert diff(None, {"name": "Fio"}) == {"name": FieldChange(before=None, after="Fio")}
