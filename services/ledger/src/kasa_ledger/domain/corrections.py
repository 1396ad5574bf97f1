"""Corrections and voids of booked money, as linked entries: pure arithmetic, no I/O.

A booked entry never changes. A correction adds an ``adjustment`` entry carrying the
difference (in the entry's direction when it raises the amount, the other direction when it
lowers it); a void adds a ``reversal`` entry that brings the effective amount to zero. Summing
signed amounts over an entry and its adjustments always gives the money that really moved.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol
from uuid import UUID

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.ledger import TransactionCorrected
from kasa_ledger.domain.errors import DomainError

Direction = Literal["income", "expense"]
Kind = Literal["correction", "void"]
"""What a user (or a bank) does to booked money: correct its amount, or void it."""


class NotAnEntry(DomainError):
    def __init__(self) -> None:
        super().__init__("an adjustment is corrected through the entry it belongs to")


class TransactionVoided(DomainError):
    def __init__(self) -> None:
        super().__init__("the transaction is voided")


class PaysInvoices(DomainError):
    """Lowering would leave invoices paid with money the transaction no longer has."""

    def __init__(self, matched: Decimal) -> None:
        super().__init__(f"{matched} of this transaction pays invoices; unmatch before lowering it")


class InvalidCorrection(DomainError, ValueError):
    """The corrected amount makes no correction."""


@dataclass(frozen=True)
class Adjustment:
    kind: str
    """``adjustment`` or ``reversal``."""
    type: str
    amount: Decimal


def as_direction(direction: str) -> Direction:
    if direction not in ("income", "expense"):
        raise ValueError(f"not a direction: {direction!r}")
    return "income" if direction == "income" else "expense"


def opposite(direction: str) -> Direction:
    return "expense" if as_direction(direction) == "income" else "income"


def effective_amount(direction: str, amount: Decimal, adjustments: list[Adjustment]) -> Decimal:
    """The entry's amount after its adjustments, in its own direction."""
    total = amount
    for adj in adjustments:
        total += adj.amount if adj.type == direction else -adj.amount
    return total


def is_voided(adjustments: list[Adjustment]) -> bool:
    return any(adj.kind == "reversal" for adj in adjustments)


def check_correctable(kind: str, adjustments: list[Adjustment]) -> None:
    """Only an entry that is not voided is corrected or voided (adjustments go through it)."""
    if kind != "entry":
        raise NotAnEntry()
    if is_voided(adjustments):
        raise TransactionVoided()


def check_lowering(corrected: Decimal, matched: Decimal) -> None:
    """Money that pays invoices is not lowered under what it pays."""
    if corrected < matched:
        raise PaysInvoices(matched)


@dataclass(frozen=True)
class Entry:
    """The linked entry to book: its direction and positive amount."""

    type: Direction
    amount: Decimal


def correction_entry(direction: str, current: Decimal, corrected: Decimal) -> Entry:
    """The adjustment that turns ``current`` into ``corrected`` (both in ``direction``)."""
    if corrected <= 0:
        raise InvalidCorrection("a corrected amount must be positive; void the transaction instead")
    delta = corrected - current
    if delta == 0:
        raise InvalidCorrection("the corrected amount equals the current amount")
    if delta > 0:
        return Entry(type=as_direction(direction), amount=delta)
    return Entry(type=opposite(direction), amount=-delta)


def reversal_entry(direction: str, current: Decimal) -> Entry:
    """The reversing entry that voids an entry whose effective amount is ``current``."""
    if current == 0:
        raise ValueError("nothing left to reverse")
    if current < 0:
        return Entry(type=as_direction(direction), amount=-current)
    return Entry(type=opposite(direction), amount=current)


def restatement_entry(
    direction: str, current: Decimal, new_direction: str, new_amount: Decimal
) -> Entry | None:
    """The adjustment that makes an entry say what its bank now reports, or None if it does.

    The bank may change the amount or even the direction of a movement it reported before;
    the difference is booked in whichever direction it goes.
    """
    signed_new = new_amount if new_direction == direction else -new_amount
    delta = signed_new - current
    if delta == 0:
        return None
    if delta > 0:
        return Entry(type=as_direction(direction), amount=delta)
    return Entry(type=opposite(direction), amount=-delta)


class Original(Protocol):
    """What a correction needs to know of the entry it adjusts."""

    id: UUID
    workspace_id: UUID
    type: str
    amount: Decimal
    currency: str
    transacted_on: date
    value_date: date | None
    counterparty: str | None
    counterparty_account: str | None
    account_ref: str | None
    account_id: UUID | None
    category: str | None
    category_set_by: str | None


def adjustment_row(
    original: Original,
    entry: Entry,
    *,
    kind: Kind,
    reason: str | None,
    source: str,
    adjustment_id: UUID,
    created_at: datetime,
    recorded_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The linked entry that corrects or voids ``original``: its money, the rest inherited.

    ``recorded_by`` is the actor who asked for it (a user, or the bank that restated it)."""
    return {
        "id": adjustment_id,
        "workspace_id": original.workspace_id,
        "source": source,
        "external_id": None,
        "type": entry.type,
        "amount": entry.amount,
        "currency": original.currency,
        "transacted_on": original.transacted_on,
        "value_date": original.value_date,
        "description": reason,
        "counterparty": original.counterparty,
        "counterparty_account": original.counterparty_account,
        "account_ref": original.account_ref,
        "account_id": original.account_id,
        "category": original.category,
        "category_set_by": original.category_set_by,
        "kind": "reversal" if kind == "void" else "adjustment",
        "adjusts_id": original.id,
        "raw_data": {},
        "recorded_by": recorded_by,
        "created_at": created_at,
    }


def corrected(
    original: Original,
    adjustment: dict[str, Any],
    *,
    kind: Kind,
    before: list[Adjustment],
) -> TransactionCorrected:
    """The ``transaction.corrected`` event: the entry's effective amount before and after."""
    after = [
        *before,
        Adjustment(kind=adjustment["kind"], type=adjustment["type"], amount=adjustment["amount"]),
    ]

    def shown(adjustments: list[Adjustment]) -> dict[str, Any]:
        amount = effective_amount(original.type, original.amount, adjustments)
        return {
            "amount": wire_value(amount),
            "voided": is_voided(adjustments),
        }

    return TransactionCorrected(
        transaction_id=original.id,
        adjustment_id=adjustment["id"],
        kind=kind,
        type=adjustment["type"],
        amount=adjustment["amount"],
        currency=original.currency,
        reason=adjustment["description"],
        changes=diff(shown(before), shown(after)),
    )
