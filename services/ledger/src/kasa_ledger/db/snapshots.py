"""JSON-friendly snapshots of rows, for the before/after ``changes`` that events carry."""

from datetime import date
from decimal import Decimal
from typing import Any

from kasa_ledger.db.tables import Transaction

EDITABLE = ("category", "notes", "tags")
"""Metadata a user may change on a booked transaction."""

BANK_DESCRIBED = (
    "value_date",
    "description",
    "counterparty",
    "counterparty_account",
    "reference",
    "variable_symbol",
    "constant_symbol",
    "specific_symbol",
)
"""What a bank may restate about a movement without changing the money."""


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def snapshot(tx: Transaction, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {name: plain(getattr(tx, name)) for name in fields}
    if "tags" in values:
        values["tags"] = values["tags"] or []
    return values
