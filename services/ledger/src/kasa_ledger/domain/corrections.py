"""Corrections and voids of booked money, as linked entries: pure arithmetic, no I/O.

A booked entry never changes. A correction adds an ``adjustment`` entry carrying the
difference (in the entry's direction when it raises the amount, the other direction when it
lowers it); a void adds a ``reversal`` entry that brings the effective amount to zero. Summing
signed amounts over an entry and its adjustments always gives the money that really moved.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Direction = Literal["income", "expense"]


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


@dataclass(frozen=True)
class Entry:
    """The linked entry to book: its direction and positive amount."""

    type: Direction
    amount: Decimal


def correction_entry(direction: str, current: Decimal, corrected: Decimal) -> Entry:
    """The adjustment that turns ``current`` into ``corrected`` (both in ``direction``)."""
    if corrected <= 0:
        raise ValueError("a corrected amount must be positive; void the transaction instead")
    delta = corrected - current
    if delta == 0:
        raise ValueError("the corrected amount equals the current amount")
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
