"""Loans: created with their terms, scheduled as annuities, installments linked to payments."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasa_contracts.changes import diff, wire_value
from kasa_contracts.events.ledger import LoanCreated, LoanPaymentLinked
from kasa_ledger.app.booking import book_manual
from kasa_ledger.db.queries import in_workspace, transaction_in_workspace
from kasa_ledger.db.tables import Loan, LoanPayment, Transaction
from kasa_ledger.domain.errors import NotFound
from kasa_ledger.domain.loans import (
    Installment,
    InstallmentLinked,
    NoSuchInstallment,
    PaysAnotherInstallment,
    annuity_payment,
    check_payment,
    owed_on,
    schedule,
)
from kasa_servicekit.auth import Principal
from kasa_servicekit.db import insert_if_absent, utcnow
from kasa_servicekit.events import EventWriter
from kasa_servicekit.ids import new_id
from kasa_servicekit.money import minor_unit


def monthly_payment(loan: Loan) -> Decimal:
    """The equal installment, at the currency's minor unit."""
    return annuity_payment(
        loan.principal, loan.annual_rate, loan.term_months, minor_unit(loan.currency)
    )


def plan(loan: Loan) -> list[Installment]:
    """The loan's amortization schedule (rounding rules in ``domain/loans.py``)."""
    return schedule(
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        loan.first_due,
        minor_unit(loan.currency),
    )


def owed(loan: Loan, day: date) -> Decimal:
    """The principal still owed on ``day``."""
    return owed_on(plan(loan), loan.principal, day)


async def create(
    session: AsyncSession,
    principal: Principal,
    terms: Mapping[str, Any],
    shown: Mapping[str, Any],
    events: EventWriter,
) -> Loan:
    """A new loan; ``shown`` are its terms as the caller sent them, which the event tells."""
    loan = Loan(id=new_id(), workspace_id=principal.workspace_id, created_at=utcnow(), **terms)
    session.add(loan)
    await session.flush()
    created = LoanCreated(
        loan_id=loan.id,
        name=loan.name,
        principal=loan.principal,
        currency=loan.currency,
        changes=diff(None, {name: wire_value(value) for name, value in shown.items()}),
    )
    await events.write(session, created, on=principal)
    return loan


def listing(workspace_id: UUID) -> Select[tuple[Loan]]:
    """The workspace's loans, as a query to page through."""
    return select(Loan).where(Loan.workspace_id == workspace_id)


async def loan(session: AsyncSession, workspace_id: UUID, loan_id: UUID) -> Loan:
    found = await in_workspace(session, Loan, loan_id, workspace_id)
    if found is None:
        raise NotFound("loan")
    return found


@dataclass(frozen=True)
class Payment:
    """The booked transaction that paid an installment: its id, day and amount."""

    transaction_id: UUID
    paid_on: date
    amount: Decimal


@dataclass(frozen=True)
class Schedule:
    loan: Loan
    installments: list[Installment]
    paid_by: dict[int, Payment]
    """The booked payment of each linked installment."""


async def schedule_of(session: AsyncSession, workspace_id: UUID, loan_id: UUID) -> Schedule:
    found = await loan(session, workspace_id, loan_id)
    links = await session.execute(
        select(
            LoanPayment.installment,
            LoanPayment.transaction_id,
            Transaction.transacted_on,
            Transaction.amount,
        )
        .join(Transaction, Transaction.id == LoanPayment.transaction_id)
        .where(LoanPayment.loan_id == found.id)
    )
    paid = {number: Payment(tx_id, on, amount) for number, tx_id, on, amount in links}
    return Schedule(found, plan(found), paid)


async def link_payment(
    session: AsyncSession,
    principal: Principal,
    loan_id: UUID,
    installment: int,
    transaction_id: UUID,
    events: EventWriter,
) -> tuple[Loan, Installment, Payment]:
    """Record which booked expense paid an installment (each side is linked at most once)."""
    found = await loan(session, principal.workspace_id, loan_id)
    tx = await transaction_in_workspace(session, principal.workspace_id, transaction_id)
    paid_with = None if tx is None else (tx.type, tx.currency)
    check_payment(installment, found.term_months, found.currency, paid_with)
    assert tx is not None
    already = await session.scalar(
        select(LoanPayment.id).where(LoanPayment.transaction_id == tx.id)
    )
    if already is not None:
        raise PaysAnotherInstallment()
    linked = await insert_if_absent(
        session,
        LoanPayment.__table__,
        {
            "id": new_id(),
            "workspace_id": principal.workspace_id,
            "loan_id": found.id,
            "installment": installment,
            "transaction_id": tx.id,
            "created_at": utcnow(),
        },
        ["loan_id", "installment"],
    )
    if not linked:
        raise InstallmentLinked()
    event = LoanPaymentLinked(loan_id=found.id, installment=installment, transaction_id=tx.id)
    await events.write(session, event, on=principal)
    return found, plan(found)[installment - 1], Payment(tx.id, tx.transacted_on, tx.amount)


async def pay_installment(
    session: AsyncSession,
    principal: Principal,
    loan_id: UUID,
    installment: int,
    paid: Mapping[str, Any],
    events: EventWriter,
) -> tuple[Loan, Installment, Payment]:
    """Book the payment of an installment as a manual expense and link it, in one go.

    ``paid`` has ``paid_on``, and may have ``account_id`` and ``amount`` (the scheduled payment
    when absent). Either both happen or neither: a linked installment books nothing.
    """
    found = await loan(session, principal.workspace_id, loan_id)
    if installment > found.term_months:
        raise NoSuchInstallment()
    due = plan(found)[installment - 1]
    tx = await book_manual(
        session,
        principal,
        {
            "type": "expense",
            "amount": paid.get("amount") or due.payment,
            "currency": found.currency,
            "transacted_on": paid["paid_on"],
            "description": f"{found.name}: installment {installment}",
            "account_id": paid.get("account_id"),
        },
        events,
    )
    return await link_payment(session, principal, loan_id, installment, tx.id, events)
