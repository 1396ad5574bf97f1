"""Assets and liabilities: which kinds each side has, what they are worth on a day, closing.

A holding is closed, never deleted: it keeps its value history, and from its closing day on
it no longer counts in net worth. Nothing is valued on or after that day.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from kasa_ledger.domain.errors import DomainError

Side = Literal["asset", "liability"]

KINDS: dict[Side, tuple[str, ...]] = {
    "asset": ("property", "vehicle", "investment", "other"),
    "liability": ("credit_card", "other"),
}


class HoldingIsClosed(DomainError):
    """A closed holding takes no more values and cannot be closed again."""

    def __init__(self, closed_on: date) -> None:
        super().__init__(f"it was closed on {closed_on.isoformat()}")
        self.closed_on = closed_on


class ClosedBeforeLastValue(DomainError):
    """A holding closes after the last day it was valued, so no recorded value is undone."""

    def __init__(self, last_valued_on: date) -> None:
        super().__init__(f"it has a value on {last_valued_on.isoformat()}, after that day")


def check_value(closed_on: date | None, valued_on: date) -> None:
    """Whether a holding may be valued on ``valued_on``: only before its closing day."""
    if closed_on is not None and valued_on >= closed_on:
        raise HoldingIsClosed(closed_on)


def check_close(closed_on: date | None, last_valued_on: date | None, on: date) -> None:
    """Whether a holding may close on ``on``: once, and not before its last value."""
    if closed_on is not None:
        raise HoldingIsClosed(closed_on)
    if last_valued_on is not None and on < last_valued_on:
        raise ClosedBeforeLastValue(last_valued_on)


def counts_on(closed_on: date | None, day: date) -> bool:
    """A holding counts in net worth until the day before it closed."""
    return closed_on is None or day < closed_on


def latest_totals(
    values: Iterable[tuple[UUID, str, date, Decimal]],
    closed: dict[UUID, date] | None = None,
    day: date | None = None,
) -> dict[str, Decimal]:
    """Per currency, the sum of each holding's latest value on or before ``day``.

    ``values`` are ``(holding, currency, valued_on, value)`` rows ordered by holding and day;
    ``closed`` gives the closing day of each closed holding, which stops counting from then.
    Without ``day`` every value counts.
    """
    latest: dict[UUID, tuple[str, Decimal]] = {}
    for holding_id, currency, valued_on, value in values:
        if day is None or valued_on <= day:
            latest[holding_id] = (currency, value)
    totals: dict[str, Decimal] = {}
    for holding_id, (currency, value) in latest.items():
        if day is not None and not counts_on((closed or {}).get(holding_id), day):
            continue
        totals[currency] = totals.get(currency, Decimal(0)) + value
    return totals
