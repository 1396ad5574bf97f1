"""Accounts: how a bank account is told apart, what a new one holds, what an edit may change."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.integrations import BankAccountRef
from kasa_contracts.events.ledger import AccountCreated
from kasa_ledger.domain.text import bounded_key, truncated

SHOWN = ("name", "kind", "currency", "iban", "account_number", "opening_balance", "opening_date")
"""What ``account.created`` tells about a new account."""

EDITABLE = ("name", "opening_balance", "opening_date")
"""What a user may change on an account."""

BANK_REF_WIDTH = 100
"""The width of ``accounts.bank_ref``."""


def bank_ref(account: BankAccountRef) -> str:
    """How the ledger tells bank accounts apart: IBAN, else domestic number, else provider id
    (an over-long one cut with a digest, so it fits its column and stays unique)."""
    ref = account.iban or account.account_number or f"provider:{account.provider_account_id}"
    return bounded_key(ref, BANK_REF_WIDTH)


def bank_account(
    workspace_id: UUID, ref: BankAccountRef, *, account_id: UUID, created_at: datetime
) -> dict[str, Any]:
    """The row of a bank account first seen in an import."""
    return {
        "id": account_id,
        "workspace_id": workspace_id,
        # Cut to their columns: an account too long to store would park every import on it.
        "name": truncated(ref.iban or ref.account_number or ref.provider_account_id, 200),
        "kind": "bank",
        "bank_ref": bank_ref(ref),
        "iban": truncated(ref.iban, 50),
        "account_number": truncated(ref.account_number, 100),
        "currency": ref.currency,
        "opening_balance": Decimal(0),
        "opening_date": None,
        "created_at": created_at,
    }


def manual_account(
    workspace_id: UUID, fields: Mapping[str, Any], *, account_id: UUID, created_at: datetime
) -> dict[str, Any]:
    """The row of an account a user adds by hand (cash, a wallet, a bank not synced)."""
    return {
        **fields,
        "id": account_id,
        "workspace_id": workspace_id,
        "bank_ref": None,
        "created_at": created_at,
    }


def account_created(row: Mapping[str, Any]) -> AccountCreated:
    """The ``account.created`` event of a new account row."""
    return AccountCreated(
        account_id=row["id"],
        name=row["name"],
        kind=row["kind"],
        currency=row["currency"],
        changes=diff(None, {name: wire_value(row[name]) for name in SHOWN}),
    )


def edits(requested: Mapping[str, Any]) -> dict[str, Any]:
    """The changes an account patch makes: only the opening date can be cleared."""
    return {
        name: value
        for name, value in requested.items()
        if value is not None or name == "opening_date"
    }
