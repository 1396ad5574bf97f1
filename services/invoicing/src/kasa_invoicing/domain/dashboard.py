"""Dashboard figures: pure aggregation of work, invoices and payments, per currency.

Amounts in different currencies are never added together; every money figure sits under its
currency. Hours have no currency and are reported once.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from kasa_invoicing.domain.errors import Invalid
from kasa_invoicing.domain.lifecycle import AWAITING_PAYMENT
from kasa_servicekit.money import round_money


@dataclass(frozen=True)
class WorkFact:
    work_date: date
    minutes: int | None
    fixed_amount: Decimal | None
    billable: bool
    invoiced: bool
    currency: str
    hourly_rate: Decimal | None


@dataclass(frozen=True)
class InvoiceFact:
    client_id: UUID
    client_name: str
    status: str
    currency: str
    issue_date: date | None
    due_date: date | None
    total: Decimal
    paid_total: Decimal


@dataclass(frozen=True)
class PaymentFact:
    currency: str
    amount: Decimal
    paid_on: date


@dataclass
class CountAndSum:
    count: int = 0
    amount: Decimal = Decimal(0)

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount


@dataclass
class MonthMoney:
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)


@dataclass
class CurrencyFigures:
    currency: str
    unbilled: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    outstanding: CountAndSum = field(default_factory=CountAndSum)
    overdue: CountAndSum = field(default_factory=CountAndSum)
    months: dict[str, MonthMoney] = field(default_factory=lambda: defaultdict(MonthMoney))
    clients: dict[UUID, tuple[str, Decimal]] = field(default_factory=dict)


@dataclass
class Dashboard:
    minutes_tracked: int = 0
    minutes_billable: int = 0
    minutes_by_month: dict[str, list[int]] = field(default_factory=dict)
    currencies: dict[str, CurrencyFigures] = field(default_factory=dict)

    def currency(self, code: str) -> CurrencyFigures:
        if code not in self.currencies:
            self.currencies[code] = CurrencyFigures(code)
        return self.currencies[code]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


MAX_MONTHS = 120


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days a dashboard covers: by default from 1 January of the end's year to today."""
    end = end or today
    start = start or date(end.year, 1, 1)
    if start > end:
        raise Invalid("from must not be after to")
    if len(months_between(start, end)) > MAX_MONTHS:
        raise Invalid("the period is at most ten years")
    return start, end


def build_dashboard(
    start: date,
    end: date,
    today: date,
    work: Iterable[WorkFact],
    invoices: Iterable[InvoiceFact],
    payments: Iterable[PaymentFact],
) -> Dashboard:
    """Figures for ``start`` to ``end``; outstanding and overdue are as of ``today``."""
    board = Dashboard(minutes_by_month={m: [0, 0] for m in months_between(start, end)})
    for w in work:
        in_range = start <= w.work_date <= end
        if in_range and w.minutes:
            board.minutes_tracked += w.minutes
            board.minutes_by_month[month_of(w.work_date)][0] += w.minutes
            if w.billable:
                board.minutes_billable += w.minutes
                board.minutes_by_month[month_of(w.work_date)][1] += w.minutes
        if in_range and w.billable and not w.invoiced:
            if w.fixed_amount is not None:
                board.currency(w.currency).unbilled += w.fixed_amount
            elif w.minutes and w.hourly_rate is not None:
                value = round_money(Decimal(w.minutes) * w.hourly_rate / 60, w.currency)
                board.currency(w.currency).unbilled += value
    for inv in invoices:
        if inv.status in ("draft", "cancelled") or inv.issue_date is None:
            continue
        figures = board.currency(inv.currency)
        if inv.status in AWAITING_PAYMENT:
            owed = max(inv.total - inv.paid_total, Decimal(0))
            figures.outstanding.add(owed)
            if inv.due_date is not None and inv.due_date < today:
                figures.overdue.add(owed)
        if start <= inv.issue_date <= end:
            figures.invoiced += inv.total
            figures.months[month_of(inv.issue_date)].invoiced += inv.total
            name, so_far = figures.clients.get(inv.client_id, (inv.client_name, Decimal(0)))
            figures.clients[inv.client_id] = (name, so_far + inv.total)
    for p in payments:
        if start <= p.paid_on <= end:
            figures = board.currency(p.currency)
            figures.paid += p.amount
            figures.months[month_of(p.paid_on)].paid += p.amount
    return board
