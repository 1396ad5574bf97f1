"""Reports: cash flow and net worth over time, as SVG charts and tables, each table also as CSV.

The page and its CSV files are drawn from the same figures (``Report``), read from the API
once per view: ``/api/v1/reports/cash-flow`` and the net-worth series. Cells of a CSV go
through the kit's ``neutralized``, as every CSV export of Kasa does.
"""

import asyncio
import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kasa_servicekit.spreadsheet_cells import neutralized
from kasa_web import charts
from kasa_web.api_client import Api
from kasa_web.forms import Form
from kasa_web.pages.common import ApiDep
from kasa_web.rendering import env, render
from kasa_web.rendering import gettext as _
from kasa_web.viewer import SignedIn, Viewer

router = APIRouter(include_in_schema=False)

PRESETS = ("this_month", "last_month", "this_quarter", "this_year", "last_12_months")
DEFAULT_PRESET = "last_12_months"
MAX_MONTHS = 120
"""The API's longest net-worth series."""
ZERO = Decimal(0)
CURRENCY = re.compile(r"[A-Z]{3}")


def preset_labels() -> dict[str, str]:
    return {
        "this_month": _("This month"),
        "last_month": _("Last month"),
        "this_quarter": _("This quarter"),
        "this_year": _("This year"),
        "last_12_months": _("Last 12 months"),
    }


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def preset_period(name: str, today: date) -> tuple[date, date]:
    """The days a preset covers; a period that holds today ends today."""
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        first = months_back(today, 1)
        return first, today.replace(day=1) - timedelta(days=1)
    if name == "this_quarter":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    if name == "this_year":
        return date(today.year, 1, 1), today
    return months_back(today, 11), today


def months_between(start: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month the period touches, as the API names its periods."""
    found, index = [], start.year * 12 + start.month - 1
    while index <= end.year * 12 + end.month - 1:
        found.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        index += 1
    return found


@dataclass(frozen=True)
class Period:
    preset: str
    """One of ``PRESETS``, or ``custom``."""
    start: date
    end: date

    @property
    def query(self) -> dict[str, str]:
        if self.preset != "custom":
            return {"period": self.preset}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def link(self, path: str, **more: str) -> str:
        return f"{path}?{urlencode({**self.query, **more})}"


def asked_period(request: Request, today: date) -> tuple[Period, Form]:
    """The period the page shows, and the custom form with what cannot be used marked."""
    params = request.query_params
    form = Form.of({k: params.get(k, "") for k in ("from", "to")})
    start_text, end_text = form.text("from"), form.text("to")
    if start_text or end_text:
        days: dict[str, date] = {}
        for name, text in (("from", start_text), ("to", end_text)):
            try:
                days[name] = date.fromisoformat(text or "")
            except ValueError:
                form.error(name, _("Enter a date."))
        if form.valid and days["to"] < days["from"]:
            form.error("to", _("The end is before the start."))
        if form.valid and len(months_between(days["from"], days["to"])) > MAX_MONTHS:
            form.error("to", _("Choose a period of at most ten years."))
        if form.valid:
            return Period("custom", days["from"], days["to"]), form
    preset = params.get("period") or DEFAULT_PRESET
    preset = preset if preset in PRESETS else DEFAULT_PRESET
    start, end = preset_period(preset, today)
    if form.valid:
        form.values = {"from": start.isoformat(), "to": end.isoformat()}
    return Period(preset, start, end), form


@dataclass
class MonthFlow:
    month: str
    inflow: Decimal = ZERO
    outflow: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass
class CategoryFlow:
    category: str | None
    inflow: Decimal = ZERO
    outflow: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class Worth:
    as_of: str
    accounts: Decimal
    assets: Decimal
    liabilities: Decimal
    loans: Decimal
    net_worth: Decimal


@dataclass
class CurrencyReport:
    """Every table the report shows for one currency."""

    currency: str
    months: list[MonthFlow]
    categories: list[CategoryFlow] = field(default_factory=list)
    worth: list[Worth] = field(default_factory=list)

    @property
    def inflow(self) -> Decimal:
        return sum((m.inflow for m in self.months), ZERO)

    @property
    def outflow(self) -> Decimal:
        return sum((m.outflow for m in self.months), ZERO)

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def build_report(
    period: Period, cash_flow: dict[str, Any], net_worth: dict[str, Any]
) -> list[CurrencyReport]:
    """The API's figures as the report's tables, one set per currency (in order)."""
    months = months_between(period.start, period.end)
    found: dict[str, CurrencyReport] = {}

    def of(currency: str) -> CurrencyReport:
        if currency not in found:
            found[currency] = CurrencyReport(currency, [MonthFlow(m) for m in months])
        return found[currency]

    categories: dict[str, dict[str | None, CategoryFlow]] = defaultdict(dict)
    for flow in cash_flow.get("periods", []):
        report = of(flow["currency"])
        month = next((m for m in report.months if m.month == flow["period"]), None)
        if month is None:
            continue
        month.inflow += _amount(flow["inflow"])
        month.outflow += _amount(flow["outflow"])
        for item in flow.get("by_category", []):
            name = item["category"]
            into = categories[flow["currency"]].setdefault(name, CategoryFlow(name))
            into.inflow += _amount(item.get("inflow"))
            into.outflow += _amount(item.get("outflow"))
    for point in net_worth.get("points", []):
        for p in point["positions"]:
            of(p["currency"]).worth.append(
                Worth(
                    as_of=point["as_of"],
                    accounts=_amount(p["accounts"]),
                    assets=_amount(p["assets"]),
                    liabilities=_amount(p["liabilities"]),
                    loans=_amount(p["loans"]),
                    net_worth=_amount(p["net_worth"]),
                )
            )
    for currency, report in found.items():
        report.categories = sorted(
            categories[currency].values(), key=lambda c: (-(c.inflow + c.outflow), c.category or "")
        )
    return [found[c] for c in sorted(found)]


async def read_report(api: Api, viewer: Viewer, period: Period) -> list[CurrencyReport]:
    days = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    cash_flow, net_worth = await asyncio.gather(
        api.json("GET", "/api/v1/reports/cash-flow", viewer.token, params=days),
        api.json("GET", "/api/v1/reports/net-worth", viewer.token, params=days),
    )
    return build_report(period, cash_flow, net_worth)


def month_label(month: str) -> str:
    year, _sep, number = month.partition("-")
    return f"{env.globals['month_name'](int(number))} {year}"


def _charts(report: CurrencyReport) -> dict[str, Any]:
    money = env.filters["money"]
    short = len(report.months) > 6

    def label(month: str) -> str:
        # Twelve months side by side leave room for the month's name alone.
        return month_label(month).split(" ")[0] if short else month_label(month)

    return {
        "flow": charts.paired_bars(
            [
                (
                    label(m.month),
                    m.inflow,
                    money(m.inflow, report.currency),
                    m.outflow,
                    money(m.outflow, report.currency),
                )
                for m in report.months
            ]
        ),
        "worth": charts.line(
            [
                (label(w.as_of[:7]), w.net_worth, money(w.net_worth, report.currency))
                for w in report.worth
            ]
        ),
    }


@router.get("/reports")
async def reports_page(request: Request, api: ApiDep, viewer: SignedIn) -> Response:
    period, form = asked_period(request, date.today())
    found = await read_report(api, viewer, period)
    moved = any(r.inflow or r.outflow for r in found)
    return render(
        request,
        "reports/index.html",
        {
            "section": "reports",
            "period": period,
            "form": form,
            "presets": preset_labels(),
            "reports": found,
            "charts": {r.currency: _charts(r) for r in found},
            "chart": charts,
            "moved": moved,
            "month_label": month_label,
        },
    )


# -- CSV: one file per table, the same figures as the page -----------------------------------

Rows = Callable[[CurrencyReport], Iterable[list[object]]]


def _cash_flow_rows(report: CurrencyReport) -> Iterable[list[object]]:
    for m in report.months:
        yield [report.currency, m.month, m.inflow, m.outflow, m.net]


def _category_rows(report: CurrencyReport) -> Iterable[list[object]]:
    for c in report.categories:
        yield [report.currency, c.category or "", c.inflow, c.outflow, c.net]


def _net_worth_rows(report: CurrencyReport) -> Iterable[list[object]]:
    for w in report.worth:
        yield [report.currency, w.as_of, w.accounts, w.assets, w.liabilities, w.loans, w.net_worth]


TABLES: dict[str, tuple[tuple[str, ...], Rows]] = {
    "cash-flow": (("currency", "month", "inflow", "outflow", "net"), _cash_flow_rows),
    "cash-flow-by-category": (
        ("currency", "category", "inflow", "outflow", "net"),
        _category_rows,
    ),
    "net-worth": (
        ("currency", "as_of", "accounts", "assets", "liabilities", "loans", "net_worth"),
        _net_worth_rows,
    ),
}
"""Each table of the report: its CSV columns and its rows."""


def csv_text(columns: tuple[str, ...], rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralized(str(cell)) for cell in row])
    return buffer.getvalue()


@router.get("/reports/{table}.csv")
async def report_csv(request: Request, table: str, api: ApiDep, viewer: SignedIn) -> Response:
    if table not in TABLES:
        raise HTTPException(404)
    period, form = asked_period(request, date.today())
    if not form.valid:
        raise HTTPException(400)
    currency = request.query_params.get("currency") or None
    if currency is not None and not CURRENCY.fullmatch(currency):
        raise HTTPException(400)
    found = await read_report(api, viewer, period)
    columns, rows = TABLES[table]
    chosen = [r for r in found if not currency or r.currency == currency]
    text = csv_text(columns, (row for report in chosen for row in rows(report)))
    suffix = f"_{currency}" if currency else ""
    name = f"{table}_{period.start.isoformat()}_{period.end.isoformat()}{suffix}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
