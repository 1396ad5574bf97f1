"""Report arithmetic: cash flow folded into periods, net worth per currency. No I/O."""

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
        else:
            flow.outflow += amount
            flow.by_category[category] -= amount
    return flows


class PeriodReversed(DomainError):
    def __init__(self) -> None:
        super().__init__("`to` is before `from`")


def check_period(start: date, end: date) -> None:
    if end < start:
        raise PeriodReversed()


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
