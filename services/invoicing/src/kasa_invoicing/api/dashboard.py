"""GET /api/v1/dashboard: hours, unbilled work, invoiced, paid, outstanding, overdue, trends."""

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kasa_contracts.types import DecimalString
from kasa_invoicing.api.invoice_views import today
from kasa_invoicing.app.dashboard import dashboard as dashboard_of
from kasa_invoicing.db.dashboard import DashboardRows
from kasa_invoicing.domain.dashboard import months_between, period
from kasa_invoicing.domain.pricing import hours as exact_hours
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])

TOP_CLIENTS = 5


def hours(minutes: int) -> Decimal:
    return exact_hours(minutes).normalize()


class Hours(BaseModel):
    tracked: DecimalString
    billable: DecimalString


class MonthHours(BaseModel):
    month: str = Field(examples=["2026-03"])
    tracked: DecimalString
    billable: DecimalString


class CountAmount(BaseModel):
    count: int
    amount: DecimalString


class MonthMoneyOut(BaseModel):
    month: str
    invoiced: DecimalString
    paid: DecimalString


class TopClient(BaseModel):
    client_id: UUID
    name: str
    invoiced: DecimalString


class CurrencyOut(BaseModel):
    currency: str
    unbilled: DecimalString = Field(description="Billable work in the period not yet invoiced")
    invoiced: DecimalString = Field(description="Invoices issued in the period (not cancelled)")
    paid: DecimalString = Field(description="Payments received in the period")
    outstanding: CountAmount = Field(description="Unpaid issued invoices today")
    overdue: CountAmount = Field(description="Of those, the ones past their due date")
    trend: list[MonthMoneyOut]
    top_clients: list[TopClient]


class DashboardOut(BaseModel):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    hours: Hours
    hours_trend: list[MonthHours]
    currencies: list[CurrencyOut] = Field(description="One entry per currency, never summed")


@router.get("", response_model=DashboardOut, response_model_by_alias=True)
async def dashboard(
    principal: CurrentPrincipal,
    db: Db,
    from_: Annotated[date | None, Query(alias="from", description="Default: 1 January")] = None,
    to: Annotated[date | None, Query(description="Default: today")] = None,
) -> DashboardOut:
    now = today()
    start, end = period(from_, to, now)
    async with db.sessions() as session:
        board = await dashboard_of(DashboardRows(session, principal.workspace_id), start, end, now)

    def money(amount: Decimal, currency: str) -> Decimal:
        return at_currency_precision(amount, currency)

    return DashboardOut.model_validate(
        {
            "from": start,
            "to": end,
            "hours": Hours(
                tracked=hours(board.minutes_tracked), billable=hours(board.minutes_billable)
            ),
            "hours_trend": [
                MonthHours(month=m, tracked=hours(t), billable=hours(b))
                for m, (t, b) in board.minutes_by_month.items()
            ],
            "currencies": [
                CurrencyOut(
                    currency=code,
                    unbilled=money(f.unbilled, code),
                    invoiced=money(f.invoiced, code),
                    paid=money(f.paid, code),
                    outstanding=CountAmount(
                        count=f.outstanding.count, amount=money(f.outstanding.amount, code)
                    ),
                    overdue=CountAmount(
                        count=f.overdue.count, amount=money(f.overdue.amount, code)
                    ),
                    trend=[
                        MonthMoneyOut(
                            month=m,
                            invoiced=money(
                                f.months[m].invoiced if m in f.months else Decimal(0), code
                            ),
                            paid=money(f.months[m].paid if m in f.months else Decimal(0), code),
                        )
                        for m in months_between(start, end)
                    ],
                    top_clients=[
                        TopClient(client_id=cid, name=name, invoiced=money(total, code))
                        for cid, (name, total) in sorted(
                            f.clients.items(), key=lambda kv: (-kv[1][1], kv[1][0])
                        )[:TOP_CLIENTS]
                    ],
                )
                for code, f in sorted(board.currencies.items())
            ],
        }
    )
