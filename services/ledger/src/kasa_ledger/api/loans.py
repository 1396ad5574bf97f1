"""/api/v1/loans: loans and their annuity amortization schedules."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from babel.numbers import get_currency_precision
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff
from kasa_contracts.events.ledger import LoanCreated, LoanPaymentLinked
from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount
from kasa_ledger.db.queries import transaction_in_workspace
from kasa_ledger.db.snapshots import plain
from kasa_ledger.db.tables import Loan, LoanPayment
from kasa_ledger.domain.loans import annuity_payment, schedule
from kasa_servicekit import idempotency
from kasa_servicekit.auth import CurrentPrincipal, WritingPrincipal
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.idempotency import IdempotencyKey
from kasa_servicekit.ids import new_id
from kasa_servicekit.outbox import add_caller_events
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.scoping import owned
from kasa_servicekit.service import Db

router = APIRouter(prefix="/api/v1/loans", tags=["loans"])


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


class LoanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    principal: PositiveAmount
    currency: CurrencyCode
    annual_rate: DecimalString = Field(ge=0, le=100, decimal_places=4, description="Percent")
    term_months: int = Field(ge=1, le=600)
    first_due: date = Field(description="Due date of the first installment")


class LoanOut(BaseModel):
    id: UUID
    name: str
    principal: DecimalString
    currency: str
    annual_rate: DecimalString
    term_months: int
    first_due: date
    monthly_payment: DecimalString
    created_at: datetime


def present(loan: Loan) -> LoanOut:
    unit = minor_unit(loan.currency)
    return LoanOut(
        id=loan.id,
        name=loan.name,
        principal=loan.principal.quantize(unit),
        currency=loan.currency,
        annual_rate=loan.annual_rate.normalize(),
        term_months=loan.term_months,
        first_due=loan.first_due,
        monthly_payment=annuity_payment(loan.principal, loan.annual_rate, loan.term_months, unit),
        created_at=loan.created_at,
    )


@router.post("", status_code=201, response_model=LoanOut)
async def create_loan(
    body: LoanIn, principal: WritingPrincipal, db: Db, idempotency_key: IdempotencyKey = None
) -> Any:
    scope = "POST /api/v1/loans"
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    async with db.transaction() as session:
        stored = await idempotency.replay(
            session, principal.workspace_id, scope, idempotency_key, body_hash
        )
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code)
        loan = Loan(
            id=new_id(), workspace_id=principal.workspace_id, created_at=utcnow(), **dict(body)
        )
        session.add(loan)
        await session.flush()
        event = LoanCreated(
            loan_id=loan.id,
            name=loan.name,
            principal=loan.principal,
            currency=loan.currency,
            changes=diff(None, {k: plain(v) for k, v in body.model_dump(mode="json").items()}),
        )
        await add_caller_events(session, principal, event, producer="ledger")
        out = present(loan).model_dump(mode="json")
        await idempotency.remember(
            session, principal.workspace_id, scope, idempotency_key, body_hash, 201, out
        )
    return JSONResponse(out, status_code=201)


@router.get("", response_model=Page[LoanOut])
async def list_loans(
    principal: CurrentPrincipal, db: Db, limit: Limit = 50, cursor: Cursor = None
) -> Page[LoanOut]:
    stmt = select(Loan).where(Loan.workspace_id == principal.workspace_id)
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session, stmt, [Loan.id], limit=limit, cursor=cursor, descending=False
        )
    return Page(items=[present(r) for r in rows], next_cursor=next_cursor)


async def _loan(session: AsyncSession, workspace_id: UUID, loan_id: UUID) -> Loan:
    return await owned(session, Loan, loan_id, workspace_id, "loan")


@router.get("/{loan_id}", response_model=LoanOut)
async def get_loan(loan_id: UUID, principal: CurrentPrincipal, db: Db) -> LoanOut:
    async with db.sessions() as session:
        return present(await _loan(session, principal.workspace_id, loan_id))


class InstallmentOut(BaseModel):
    number: int
    transaction_id: UUID | None = Field(description="The booked payment, once linked")
    due_on: date
    payment: DecimalString
    principal: DecimalString
    interest: DecimalString
    balance_after: DecimalString


class ScheduleOut(BaseModel):
    loan_id: UUID
    currency: str
    monthly_payment: DecimalString
    total_interest: DecimalString
    installments: list[InstallmentOut]


@router.get("/{loan_id}/schedule", response_model=ScheduleOut)
async def get_schedule(loan_id: UUID, principal: CurrentPrincipal, db: Db) -> ScheduleOut:
    """The annuity amortization schedule (rounding rules in ``domain/loans.py``)."""
    async with db.sessions() as session:
        loan = await _loan(session, principal.workspace_id, loan_id)
        links = await session.execute(
            select(LoanPayment.installment, LoanPayment.transaction_id).where(
                LoanPayment.loan_id == loan.id
            )
        )
        paid_by = {installment: tx_id for installment, tx_id in links}
    unit = minor_unit(loan.currency)
    rows = schedule(loan.principal, loan.annual_rate, loan.term_months, loan.first_due, unit)
    return ScheduleOut(
        loan_id=loan.id,
        currency=loan.currency,
        monthly_payment=annuity_payment(loan.principal, loan.annual_rate, loan.term_months, unit),
        total_interest=sum((r.interest for r in rows), Decimal(0)),
        installments=[
            InstallmentOut(
                number=r.number,
                transaction_id=paid_by.get(r.number),
                due_on=r.due_on,
                payment=r.payment,
                principal=r.principal,
                interest=r.interest,
                balance_after=r.balance_after.quantize(unit),
            )
            for r in rows
        ],
    )


class PaymentLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    installment: int = Field(ge=1)
    transaction_id: UUID


@router.post("/{loan_id}/payments", status_code=201, response_model=InstallmentOut)
async def link_payment(
    loan_id: UUID, body: PaymentLinkIn, principal: WritingPrincipal, db: Db
) -> InstallmentOut:
    """Record which booked expense paid an installment (each side is linked at most once)."""
    async with db.transaction() as session:
        loan = await _loan(session, principal.workspace_id, loan_id)
        if body.installment > loan.term_months:
            raise ProblemError(422, "Unprocessable Content", "the loan has no such installment")
        tx = await transaction_in_workspace(session, principal.workspace_id, body.transaction_id)
        if tx is None or tx.type != "expense" or tx.currency != loan.currency:
            raise ProblemError(
                422, "Unprocessable Content", f"not an expense in {loan.currency} of this workspace"
            )
        already = await session.scalar(
            select(LoanPayment.id).where(LoanPayment.transaction_id == tx.id)
        )
        if already is not None:
            raise ProblemError(409, "Conflict", "that transaction already pays an installment")
        linked = await insert_if_absent(
            session,
            LoanPayment.__table__,
            {
                "id": new_id(),
                "workspace_id": principal.workspace_id,
                "loan_id": loan.id,
                "installment": body.installment,
                "transaction_id": tx.id,
                "created_at": utcnow(),
            },
            ["loan_id", "installment"],
        )
        if not linked:
            raise ProblemError(409, "Conflict", "that installment is already linked")
        event = LoanPaymentLinked(
            loan_id=loan.id, installment=body.installment, transaction_id=tx.id
        )
        await add_caller_events(session, principal, event, producer="ledger")
    unit = minor_unit(loan.currency)
    row = schedule(loan.principal, loan.annual_rate, loan.term_months, loan.first_due, unit)[
        body.installment - 1
    ]
    return InstallmentOut(
        number=row.number,
        transaction_id=tx.id,
        due_on=row.due_on,
        payment=row.payment,
        principal=row.principal,
        interest=row.interest,
        balance_after=row.balance_after.quantize(unit),
    )
