"""Report arithmetic: cash flow folded into periods, net worth per currency. No I/O."""

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kasa_ledger.domain.errors import DomainError


@dataclass
class Flow:
    inflow: Decimal = Decimal(0)
    outflow: Decimal = Decimal(0)
    by_category: dict[str | None, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    """The net per category: income positive, expense negative."""
    category_inflow: dict[str | None, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    category_outflow: dict[str | None, Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def cash_flow(
    totals: Iterable[tuple[date, str, str, str | None, Decimal]],
) -> dict[tuple[str, str], Flow]:
    """``(day, currency, type, category, amount)`` rows → flows by (month, currency).

    Corrections and reversals are ordinary rows with their own direction, so a voided expense
    and its reversal cancel out in the outflow and inflow alike; by category, income counts
    positive and expense negative.
    """
    flows: dict[tuple[str, str], Flow] = defaultdict(Flow)
    for day, currency, type_, category, amount in totals:
        flow = flows[(month_of(day), currency)]
        if type_ == "income":
            flow.inflow += amount
            flow.by_category[category] += amount
            flow.category_inflow[category] += amount
        else:
            flow.outflow += amount
            flow.by_category[category] -= amount
            flow.category_outflow[category] += amount
    return flows


class PeriodReversed(DomainError):
    def __init__(self) -> None:
        super().__init__("`to` is before `from`")


def check_period(start: date, end: date) -> None:
    if end < start:
        raise PeriodReversed()


MAX_POINTS = 120
"""Ten years of month ends: a series longer than that is asked for in parts."""


class PeriodTooLong(DomainError):
    def __init__(self) -> None:
        super().__init__(f"a series has at most {MAX_POINTS} points")


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from ``start``'s to ``end``'s, the last one being ``end``:
    the days a monthly series is drawn at."""
    check_period(start, end)
    days = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        days.append(min(last, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(days) > MAX_POINTS:
            raise PeriodTooLong()
    return days


@dataclass(frozen=True)
class Position:
    """What a workspace holds and owes in one currency."""

    currency: str
    accounts: Decimal
    assets: Decimal
    liabilities: Decimal
    loans: Decimal

    @property
    def net_worth(self) -> Decimal:
        return self.accounts + self.assets - self.liabilities - self.loans


def positions(
    accounts: Mapping[str, Decimal],
    assets: Mapping[str, Decimal],
    liabilities: Mapping[str, Decimal],
    loans: Mapping[str, Decimal],
) -> list[Position]:
    """Per currency (in order), accounts plus assets, minus liabilities and loans owed."""
    zero = Decimal(0)
    return [
        Position(
            currency=currency,
            accounts=accounts.get(currency, zero),
            assets=assets.get(currency, zero),
            liabilities=liabilities.get(currency, zero),
            loans=loans.get(currency, zero),
        )
        for currency in sorted(set(accounts) | set(loans) | set(assets) | set(liabilities))
    ]


def by_currency(amounts: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """``(currency, amount)`` pairs summed per currency."""
    totals: dict[str, Decimal] = {}
    for currency, amount in amounts:
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return totals


class SeriesPeriod(DomainError):
    """A series is asked for with both ends of its period, and without ``as_of``."""


def series_days(start: date | None, end: date | None, as_of: date | None) -> list[date]:
    """The days a series over ``start``…``end`` is drawn at (see ``month_ends``)."""
    if start is None or end is None:
        raise SeriesPeriod("a series needs both `from` and `to`")
    if as_of is not None:
        raise SeriesPeriod("ask for `as_of` or for `from` and `to`, not both")
    return month_ends(start, end)
