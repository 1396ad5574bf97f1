"""Assets and liabilities: which kinds each side has, and what they are worth on a day."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

Side = Literal["asset", "liability"]

KINDS: dict[Side, tuple[str, ...]] = {
    "asset": ("property", "vehicle", "investment", "other"),
    "liability": ("credit_card", "other"),
}


def latest_totals(values: Iterable[tuple[UUID, str, date, Decimal]]) -> dict[str, Decimal]:
    """Per currency, the sum of each holding's latest value.

    ``values`` are ``(holding, currency, valued_on, value)`` rows ordered by holding and day.
    """
    latest: dict[UUID, tuple[str, Decimal]] = {}
    for holding_id, currency, _, value in values:
        latest[holding_id] = (currency, value)
    totals: dict[str, Decimal] = {}
    for currency, value in latest.values():
        totals[currency] = totals.get(currency, Decimal(0)) + value
    return totals
