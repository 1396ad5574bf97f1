"""Booking money: the row a new entry is written as and the event that records it. Pure.

Every way money enters the ledger books it by these rules: an import handled alone, a batch
of imports booked with set-based statements, a restatement that overtook its import, and a
user's manual entry. So the one-by-one and the batch paths cannot drift apart.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from kasa_contracts.changes import snapshot
from kasa_contracts.events.integrations import TransactionImported
from kasa_contracts.events.ledger import TransactionRecorded
from kasa_ledger.domain.categorizing import Facts, Rule, categorize
from kasa_ledger.domain.matching import can_pay, normalize_symbol
from kasa_ledger.domain.text import EXTERNAL_ID_WIDTH, TRANSACTION_TEXT, bounded_key, fitted

NATURAL_KEY = ("workspace_id", "source", "external_id")
"""The same bank movement is booked once per workspace and source, whatever the inbox says."""

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

RESTATED = (*BANK_DESCRIBED, "vs_normalized", "raw_data")
"""The columns a restatement overwrites: the described fields and what derives from them."""


def imported_row(workspace_id: UUID, imported: TransactionImported) -> dict[str, Any]:
    """The columns of a transaction as a bank reported it, its text cut to fit the columns
    (the whole text stays in ``raw_data``, see ``domain/text.py``)."""
    row = {
        "workspace_id": workspace_id,
        "source": imported.plugin,
        "external_id": external_key(imported.external_id),
        "type": imported.direction,
        "amount": imported.amount,
        "currency": imported.currency,
        "transacted_on": imported.booking_date,
        "value_date": imported.value_date,
        "description": imported.message,
        "counterparty": imported.counterparty_name,
        "counterparty_account": imported.counterparty_account,
        "reference": imported.reference,
        "variable_symbol": imported.variable_symbol,
        "vs_normalized": normalize_symbol(imported.variable_symbol),
        "constant_symbol": imported.constant_symbol,
        "specific_symbol": imported.specific_symbol,
        "account_ref": imported.account.iban or imported.account.account_number,
        "raw_data": imported.raw,
        "sync_id": imported.sync_id,
    }
    return fitted(row, TRANSACTION_TEXT)


def external_key(external_id: str) -> str:
    """The bank's id of a movement as the ledger keys it: whole when it fits its column,
    else cut with a digest of the whole id, so the natural key stays unique."""
    return bounded_key(external_id, EXTERNAL_ID_WIDTH)


def manual_row(
    workspace_id: UUID, fields: Mapping[str, Any], recorded_by: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The columns of money a user entered by hand; a category they set is theirs."""
    return {
        **fields,
        "recorded_by": dict(recorded_by) if recorded_by else None,
        "workspace_id": workspace_id,
        "source": "manual",
        "external_id": None,
        "tags": list(fields.get("tags") or []),
        "vs_normalized": normalize_symbol(fields.get("variable_symbol")),
        "category_set_by": "user" if fields.get("category") else None,
        "raw_data": {},
    }


@dataclass(frozen=True)
class Booking:
    """A new entry, ready to be written: its full row."""

    values: Mapping[str, Any]

    @property
    def id(self) -> UUID:
        entry_id: UUID = self.values["id"]
        return entry_id

    @property
    def key(self) -> tuple[Any, ...]:
        """Its natural key: a second booking with the same key is the same movement."""
        return tuple(self.values[name] for name in NATURAL_KEY)

    @property
    def matchable(self) -> bool:
        """Whether it may pay invoices, so matching should look at it."""
        return can_pay(self.values["type"], self.values["kind"])

    @property
    def recorded(self) -> TransactionRecorded:
        """The ``transaction.recorded`` event of the entry."""
        values = self.values
        return TransactionRecorded(
            transaction_id=values["id"],
            source=values["source"],
            external_id=values.get("external_id"),
            type=values["type"],
            amount=values["amount"],
            currency=values["currency"],
            transacted_on=values["transacted_on"],
            category=values["category"],
        )


def new_entry(
    row: Mapping[str, Any], rules: Sequence[Rule], *, entry_id: UUID, created_at: datetime
) -> Booking:
    """The full row of a new entry: its id, and the category the workspace's rules give it.

    A category a user set is kept. Every row names the category columns, so rows of one batch
    share their keys and go into one multi-row insert.
    """
    values = {
        "id": entry_id,
        "kind": "entry",
        "created_at": created_at,
        "category": None,
        "category_set_by": None,
        **row,
    }
    if values["category_set_by"] != "user":
        facts = Facts(
            type=values["type"],
            amount=values["amount"],
            currency=values["currency"],
            counterparty=values.get("counterparty"),
            description=values.get("description"),
        )
        if category := categorize(facts, rules):
            values["category"], values["category_set_by"] = category, "rule"
    return Booking(values)


def imported_entry(
    workspace_id: UUID,
    imported: TransactionImported,
    account_id: UUID,
    rules: Sequence[Rule],
    *,
    entry_id: UUID,
    created_at: datetime,
) -> Booking:
    """The entry a bank's movement is booked as, on the ledger account of its bank account."""
    row = {**imported_row(workspace_id, imported), "account_id": account_id}
    return new_entry(row, rules, entry_id=entry_id, created_at=created_at)


def editable(tx: Any) -> dict[str, Any]:
    """A transaction's editable metadata as events show it (no tags: an empty list)."""
    values = snapshot(tx, EDITABLE)
    values["tags"] = values["tags"] or []
    return values


def described(tx: Any) -> dict[str, Any]:
    """What a bank describes about a booked movement, as events show it."""
    return snapshot(tx, BANK_DESCRIBED)
