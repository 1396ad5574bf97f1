"""/api/v1/reports: cash flow over time and net worth, per currency."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kasa_contracts.types import DecimalString
from kasa_ledger.app import reports
from kasa_ledger.domain.reports import Position as NetPosition
from kasa_ledger.domain.reports import series_days
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class CategoryFlow(BaseModel):
    category: str | None
    net: DecimalString
    inflow: DecimalString
    outflow: DecimalString


class PeriodFlow(BaseModel):
    period: str = Field(examples=["2026-01"])
    currency: str
    inflow: DecimalString
    outflow: DecimalString
    net: DecimalString
    by_category: list[CategoryFlow]


class CashFlowOut(BaseModel):
    interval: Literal["month"]
    periods: list[PeriodFlow]


@router.get("/cash-flow", response_model=CashFlowOut)
async def cash_flow_report(
    principal: CurrentPrincipal,
    db: Db,
    from_: Annotated[date, Query(alias="from")],
    to: date,
    interval: Literal["month"] = "month",
) -> CashFlowOut:
    """Inflow, outflow and net per month and currency, with the net by category."""
    async with db.sessions() as session:
        flows = await reports.cash_flow_between(session, principal.workspace_id, from_, to)
    periods = []
    for (period, currency), flow in sorted(flows.items()):

        def shown(amount: Decimal, currency: str = currency) -> Decimal:
            return at_currency_precision(amount, currency)

        periods.append(
            PeriodFlow(
                period=period,
                currency=currency,
                inflow=shown(flow.inflow),
                outflow=shown(flow.outflow),
                net=shown(flow.net),
                by_category=[
                    CategoryFlow(
                        category=name,
                        net=shown(net),
                        inflow=shown(flow.category_inflow[name]),
                        outflow=shown(flow.category_outflow[name]),
                    )
                    for name, net in sorted(flow.by_category.items(), key=lambda i: i[0] or "")
                ],
            )
        )
    return CashFlowOut(interval=interval, periods=periods)


class Position(BaseModel):
    currency: str
    accounts: DecimalString
    assets: DecimalString = Field(description="Latest value of each asset")
    liabilities: DecimalString = Field(description="Latest balance owed on each liability")
    loans: DecimalString = Field(description="Principal still owed on loans")
    net_worth: DecimalString


class NetWorthPoint(BaseModel):
    as_of: date
    positions: list[Position]


class NetWorthOut(BaseModel):
    as_of: date
    positions: list[Position]
    interval: Literal["month"] | None = Field(
        default=None, description="Set when a series (`from` and `to`) was asked for"
    )
    points: list[NetWorthPoint] | None = Field(
        default=None,
        description="With `from` and `to`: the net worth at the end of each month of the "
        "period, the last point being `to` (which `as_of` and `positions` repeat)",
    )


def _positions(found: list[NetPosition]) -> list[Position]:
    return [
        Position(
            currency=p.currency,
            accounts=at_currency_precision(p.accounts, p.currency),
            assets=at_currency_precision(p.assets, p.currency),
            liabilities=at_currency_precision(p.liabilities, p.currency),
            loans=at_currency_precision(p.loans, p.currency),
            net_worth=at_currency_precision(p.net_worth, p.currency),
        )
        for p in found
    ]


@router.get("/net-worth", response_model=NetWorthOut, response_model_exclude_none=True)
async def net_worth(
    principal: CurrentPrincipal,
    db: Db,
    as_of: date | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    interval: Literal["month"] = "month",
) -> NetWorthOut:
    """Accounts plus assets, minus liabilities and loan principal still owed, per currency.

    As of today unless ``as_of`` is given. With ``from`` and ``to`` instead, also the series
    over that period: one point at the end of each month (at most 120).
    """
    if from_ is None and to is None:
        day = as_of or date.today()
        async with db.sessions() as session:
            found = await reports.net_worth_on(session, principal.workspace_id, day)
        return NetWorthOut(as_of=day, positions=_positions(found))
    days = series_days(from_, to, as_of)
    async with db.sessions() as session:
        series = await reports.net_worth_series(session, principal.workspace_id, days)
    points = [NetWorthPoint(as_of=d, positions=_positions(series[d])) for d in days]
    return NetWorthOut(
        as_of=points[-1].as_of, positions=points[-1].positions, interval=interval, points=points
    )
