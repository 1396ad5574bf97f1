"""Cash-flow arithmetic: folding signed daily totals into periods, per currency. No I/O."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


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
