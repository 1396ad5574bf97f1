"""/api/v1/loans: loans and their annuity amortization schedules."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount
from kasa_ledger.app import loans
from kasa_ledger.db.tables import Loan
from kasa_ledger.domain.loans import Installment
from kasa_servicekit.auth import CurrentPrincipal, MemberPrincipal
from kasa_servicekit.idempotency import IdempotencyKey, Once
from kasa_servicekit.money import minor_unit
from kasa_servicekit.pagination import Cursor, Limit, Page, keyset_page
from kasa_servicekit.service import Db, Events

router = APIRouter(prefix="/api/v1/loans", tags=["loans"])


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
    return LoanOut(
        id=loan.id,
        name=loan.name,
        principal=loan.principal.quantize(minor_unit(loan.currency)),
        currency=loan.currency,
        annual_rate=loan.annual_rate.normalize(),
        term_months=loan.term_months,
        first_due=loan.first_due,
        monthly_payment=loans.monthly_payment(loan),
        created_at=loan.created_at,
    )


@router.post("", status_code=201, response_model=LoanOut)
async def create_loan(
    body: LoanIn,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = "POST /api/v1/loans"
    shown = body.model_dump(mode="json")
    once = Once.of(principal.workspace_id, scope, idempotency_key, shown)
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        loan = await loans.create(session, principal, dict(body), shown, events)
        return await once.remember(session, present(loan).model_dump(mode="json"))


@router.get("", response_model=Page[LoanOut])
async def list_loans(
    principal: CurrentPrincipal, db: Db, limit: Limit = 50, cursor: Cursor = None
) -> Page[LoanOut]:
    async with db.sessions() as session:
        rows, next_cursor = await keyset_page(
            session,
            loans.listing(principal.workspace_id),
            [Loan.id],
            limit=limit,
            cursor=cursor,
            descending=False,
        )
    return Page(items=[present(r) for r in rows], next_cursor=next_cursor)


@router.get("/{loan_id}", response_model=LoanOut)
async def get_loan(loan_id: UUID, principal: CurrentPrincipal, db: Db) -> LoanOut:
    async with db.sessions() as session:
        return present(await loans.loan(session, principal.workspace_id, loan_id))


class InstallmentOut(BaseModel):
    number: int
    transaction_id: UUID | None = Field(description="The booked payment, once linked")
    paid_on: date | None = Field(default=None, description="The booked payment's day")
    paid_amount: DecimalString | None = Field(
        default=None, description="The booked payment's amount, as it was booked"
    )
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


def _installment_out(
    row: Installment, currency: str, paid_by: loans.Payment | None
) -> InstallmentOut:
    return InstallmentOut(
        number=row.number,
        transaction_id=paid_by.transaction_id if paid_by else None,
        paid_on=paid_by.paid_on if paid_by else None,
        paid_amount=paid_by.amount.quantize(minor_unit(currency)) if paid_by else None,
        due_on=row.due_on,
        payment=row.payment,
        principal=row.principal,
        interest=row.interest,
        balance_after=row.balance_after.quantize(minor_unit(currency)),
    )


@router.get("/{loan_id}/schedule", response_model=ScheduleOut)
async def get_schedule(loan_id: UUID, principal: CurrentPrincipal, db: Db) -> ScheduleOut:
    """The annuity amortization schedule (rounding rules in ``domain/loans.py``)."""
    async with db.sessions() as session:
        plan = await loans.schedule_of(session, principal.workspace_id, loan_id)
    loan = plan.loan
    return ScheduleOut(
        loan_id=loan.id,
        currency=loan.currency,
        monthly_payment=loans.monthly_payment(loan),
        total_interest=sum((r.interest for r in plan.installments), Decimal(0)),
        installments=[
            _installment_out(r, loan.currency, plan.paid_by.get(r.number))
            for r in plan.installments
        ],
    )


class PaymentLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    installment: int = Field(ge=1)
    transaction_id: UUID


@router.post("/{loan_id}/payments", status_code=201, response_model=InstallmentOut)
async def link_payment(
    loan_id: UUID, body: PaymentLinkIn, principal: MemberPrincipal, db: Db, events: Events
) -> InstallmentOut:
    """Record which booked expense paid an installment (each side is linked at most once)."""
    async with db.transaction() as session:
        loan, row, paid = await loans.link_payment(
            session, principal, loan_id, body.installment, body.transaction_id, events
        )
    return _installment_out(row, loan.currency, paid)


class InstallmentPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_on: date
    account_id: UUID | None = Field(default=None, description="Where the money left from")
    amount: PositiveAmount | None = Field(
        default=None, description="What was paid; the scheduled payment when left out"
    )


@router.post(
    "/{loan_id}/installments/{installment}/payment", status_code=201, response_model=InstallmentOut
)
async def pay_installment(
    loan_id: UUID,
    installment: Annotated[int, Path(ge=1)],
    body: InstallmentPaymentIn,
    principal: MemberPrincipal,
    db: Db,
    events: Events,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Book the installment's payment as a manual expense and link it to the installment,
    in one transaction (``POST /payments`` links a transaction that is already booked)."""
    scope = f"POST /api/v1/loans/{loan_id}/installments/{installment}/payment"
    once = Once.of(principal.workspace_id, scope, idempotency_key, body.model_dump(mode="json"))
    async with db.transaction() as session:
        if (replayed := await once.replayed(session)) is not None:
            return replayed
        loan, row, paid = await loans.pay_installment(
            session, principal, loan_id, installment, dict(body), events
        )
        out = _installment_out(row, loan.currency, paid)
        return await once.remember(session, out.model_dump(mode="json"))
