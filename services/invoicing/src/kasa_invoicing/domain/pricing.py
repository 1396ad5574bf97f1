"""Turning work entries into invoice lines and lines into exact totals.

Rounding rules (documented for the people who read the invoice):

- A time line's quantity is the worked time in hours (at most four decimals); its net amount
  is ``minutes * hourly rate / 60`` rounded half up to the currency's minor unit, so the
  freelancer is paid for the minutes worked, not for a rounded hour figure.
- Any other line's net amount is ``quantity * unit price``, rounded the same way.
- VAT is computed once per rate on the sum of the nets at that rate (the VAT summary a tax
  office expects), rounded half up; the total is the nets plus that VAT.
- No amount on an invoice (a line, a VAT base, a total) exceeds ``MAX_AMOUNT``: a larger one is
  refused as ``AmountTooLarge`` before anything is rounded or stored.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from kasa_invoicing.domain.errors import Invalid
from kasa_servicekit.money import round_money

Grouping = Literal["entry", "project", "day"]
_FOUR_PLACES = Decimal("0.0001")
_HUNDRED = Decimal(100)

MAX_AMOUNT = Decimal("99999999999999.9999")
"""The largest amount an invoice holds: 14 digits before the point and 4 after, as the amounts
of the event contracts. Both databases store it exactly (SQLite as a 64-bit count of 1/10000,
PostgreSQL as ``NUMERIC(20, 4)``), and rounding it stays within the decimal context."""

Field = tuple[str | int, ...]
"""Where in the request an amount comes from, e.g. ``("extra_lines", 0, "unit_price")``."""


class AmountTooLarge(Invalid):
    """A computed amount (quantity x price, minutes x rate, a total) exceeds ``MAX_AMOUNT``."""

    def __init__(self, what: str, at: Field = ()) -> None:
        super().__init__(
            f"{what} would be more than {MAX_AMOUNT}", field=at, kind="less_than_equal"
        )


def check_amount(amount: Decimal, what: str, at: Field = ()) -> Decimal:
    """``amount`` if an invoice can hold it; ``AmountTooLarge`` otherwise."""
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise AmountTooLarge(what, at)
    return amount


@dataclass(frozen=True)
class BillableWork:
    """A work entry with its effective price, ready to be billed."""

    entry_id: UUID
    project_id: UUID
    project_name: str
    work_date: date
    description: str
    minutes: int | None
    fixed_amount: Decimal | None
    hourly_rate: Decimal | None


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal
    work_entry_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    vat_summary: list[VatRow]


def effective_rate(project_rate: Decimal | None, client_rate: Decimal | None) -> Decimal | None:
    """The rate time is billed at: the project's, else the client's."""
    return project_rate if project_rate is not None else client_rate


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(_FOUR_PLACES)


def _time_line(
    description: str,
    minutes: int,
    rate: Decimal,
    vat_rate: Decimal,
    currency: str,
    ids: list[UUID],
    at: Field,
) -> Line:
    net = check_amount(Decimal(minutes) * rate / 60, "the work's minutes x hourly rate", at)
    return Line(
        description=description,
        quantity=hours(minutes),
        unit="h",
        unit_price=rate,
        vat_rate=vat_rate,
        net_amount=round_money(net, currency),
        work_entry_ids=ids,
    )


def _fixed_line(
    description: str, amount: Decimal, vat_rate: Decimal, currency: str, ids: list[UUID]
) -> Line:
    return Line(
        description=description,
        quantity=Decimal(1),
        unit="pcs",
        unit_price=amount,
        vat_rate=vat_rate,
        net_amount=round_money(amount, currency),
        work_entry_ids=ids,
    )


def lines_from_work(
    work: Sequence[BillableWork],
    grouping: Grouping,
    vat_rate: Decimal,
    currency: str,
    at: Field = (),
) -> list[Line]:
    """Invoice lines for ``work``: one per entry, or time summed per project or per day.

    Fixed-amount entries always keep a line of their own: their descriptions say what was
    delivered. Time of the same group is summed only when billed at the same rate. ``at``
    names the request field that chose the work, for an ``AmountTooLarge``.
    """
    ordered = sorted(work, key=lambda w: (w.work_date, w.project_name, str(w.entry_id)))
    lines: list[Line] = []
    groups: dict[tuple[str, Decimal], list[BillableWork]] = defaultdict(list)
    for item in ordered:
        if item.fixed_amount is not None:
            lines.append(
                _fixed_line(
                    item.description, item.fixed_amount, vat_rate, currency, [item.entry_id]
                )
            )
            continue
        assert item.minutes is not None and item.hourly_rate is not None
        if grouping == "entry":
            text = f"{item.work_date.isoformat()} {item.project_name}: {item.description}"
            lines.append(
                _time_line(
                    text,
                    item.minutes,
                    item.hourly_rate,
                    vat_rate,
                    currency,
                    [item.entry_id],
                    at,
                )
            )
        else:
            key = item.project_name if grouping == "project" else item.work_date.isoformat()
            groups[(key, item.hourly_rate)].append(item)
    for (key, rate), items in groups.items():
        minutes = sum(i.minutes or 0 for i in items)
        if grouping == "project":
            first, last = items[0].work_date, items[-1].work_date
            text = f"{key} ({first.isoformat()} - {last.isoformat()})"
        else:
            text = f"{key}: " + "; ".join(sorted({i.project_name for i in items}))
        lines.append(
            _time_line(text, minutes, rate, vat_rate, currency, [i.entry_id for i in items], at)
        )
    return lines


def manual_line(
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    vat_rate: Decimal,
    currency: str,
    at: Field = (),
) -> Line:
    """A line of ``quantity`` at ``unit_price``; ``at`` names its price in the request."""
    net = check_amount(quantity * unit_price, "quantity x unit_price", at)
    return Line(
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        vat_rate=vat_rate,
        net_amount=round_money(net, currency),
    )


def totals(lines: Iterable[Line], currency: str) -> Totals:
    """Subtotal, VAT per rate and total of ``lines``, exact to the currency's minor unit."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[line.vat_rate.normalize()] += line.net_amount
    summary = [
        VatRow(rate, base, round_money(base * rate / _HUNDRED, currency))
        for rate, base in sorted(bases.items())
    ]
    subtotal = sum((row.base for row in summary), Decimal(0))
    vat_total = sum((row.vat for row in summary), Decimal(0))
    return Totals(subtotal, vat_total, subtotal + vat_total, summary)


def bounded_totals(lines: Iterable[Line], currency: str, at: Field = ()) -> Totals:
    """``totals`` of a new or changed invoice: ``AmountTooLarge`` (naming ``at``) when a VAT
    base, its VAT, the subtotal or the total would exceed ``MAX_AMOUNT``."""
    summed = totals(lines, currency)
    for row in summed.vat_summary:
        check_amount(row.base, "the invoice's subtotal", at)
        check_amount(row.vat, "the invoice's VAT", at)
    check_amount(summed.subtotal, "the invoice's subtotal", at)
    check_amount(summed.total, "the invoice's total", at)
    return summed
