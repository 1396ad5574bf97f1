"""/api/v1/reports: cash flow over time and net worth, per currency."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from kasa_contracts.types import DecimalString
from kasa_ledger.api.accounts import balances_of
from kasa_ledger.api.holdings import latest_values
from kasa_ledger.api.loans import minor_unit
from kasa_ledger.db.tables import Account, Loan, Transaction
from kasa_ledger.domain.loans import schedule
from kasa_ledger.domain.reports import cash_flow
from kasa_servicekit.auth import CurrentPrincipal
from kasa_servicekit.money import at_currency_precision
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class CategoryFlow(BaseModel):
    category: str | None
    net: DecimalString


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
    if to < from_:
        raise ProblemError(422, "Unprocessable Content", "`to` is before `from`")
    stmt = (
        select(
            Transaction.transacted_on,
            Transaction.currency,
            Transaction.type,
            Transaction.category,
            func.sum(Transaction.amount),
        )
        .where(
            Transaction.workspace_id == principal.workspace_id,
            Transaction.transacted_on >= from_,
            Transaction.transacted_on <= to,
        )
        .group_by(
            Transaction.transacted_on,
            Transaction.currency,
            Transaction.type,
            Transaction.category,
        )
    )
    async with db.sessions() as session:
        rows = [(d, c, t, cat, Decimal(s)) for d, c, t, cat, s in await session.execute(stmt)]
    periods = []
    for (period, currency), flow in sorted(cash_flow(rows).items()):

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
                    CategoryFlow(category=name, net=shown(net))
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


class NetWorthOut(BaseModel):
    as_of: date
    positions: list[Position]


@router.get("/net-worth", response_model=NetWorthOut)
async def net_worth(principal: CurrentPrincipal, db: Db, as_of: date | None = None) -> NetWorthOut:
    """Accounts plus assets, minus liabilities and loan principal still owed, per currency.

    As of today unless ``as_of`` is given; ask for several days to draw it over time.
    """
    day = as_of or date.today()
    accounts_total: dict[str, Decimal] = {}
    owed: dict[str, Decimal] = {}
    async with db.sessions() as session:
        accounts = list(
            await session.scalars(
                select(Account).where(Account.workspace_id == principal.workspace_id)
            )
        )
        for balances in (await balances_of(session, accounts, until=day)).values():
            for balance in balances:
                accounts_total[balance.currency] = (
                    accounts_total.get(balance.currency, Decimal(0)) + balance.amount
                )
        loans = await session.scalars(
            select(Loan).where(Loan.workspace_id == principal.workspace_id)
        )
        for loan in loans:
            plan = schedule(
                loan.principal,
                loan.annual_rate,
                loan.term_months,
                loan.first_due,
                minor_unit(loan.currency),
            )
            paid = [r for r in plan if r.due_on <= day]
            remaining = paid[-1].balance_after if paid else loan.principal
            owed[loan.currency] = owed.get(loan.currency, Decimal(0)) + remaining
        assets = await latest_values(session, principal.workspace_id, "asset", day)
        liabilities = await latest_values(session, principal.workspace_id, "liability", day)
    positions = []
    zero = Decimal(0)
    for currency in sorted(set(accounts_total) | set(owed) | set(assets) | set(liabilities)):
        held, debt = accounts_total.get(currency, zero), owed.get(currency, zero)
        owned, due = assets.get(currency, zero), liabilities.get(currency, zero)
        positions.append(
            Position(
                currency=currency,
                accounts=at_currency_precision(held, currency),
                assets=at_currency_precision(owned, currency),
                liabilities=at_currency_precision(due, currency),
                loans=at_currency_precision(debt, currency),
                net_worth=at_currency_precision(held + owned - due - debt, currency),
            )
        )
    return NetWorthOut(as_of=day, positions=positions)
