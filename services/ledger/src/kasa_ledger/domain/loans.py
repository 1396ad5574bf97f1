"""Annuity loans: the equal monthly payment and its amortization schedule, in exact decimals.

Rounding, written down once:

- the monthly rate is the annual rate / 12, kept exact (no rounding);
- the payment is computed at 28 significant digits, then rounded half-up to the currency's
  minor unit (``quantum``, e.g. 0.01 CZK);
- each month's interest is the outstanding balance times the monthly rate, rounded half-up to the
  minor unit; the principal part is the payment minus that interest;
- the last installment pays whatever balance is left (plus its interest), so the principal
  parts always add up to the loan exactly and the balance ends at zero.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from kasa_ledger.domain.errors import DomainError


class NoSuchInstallment(DomainError):
    def __init__(self) -> None:
        super().__init__("the loan has no such installment")


class NotALoanPayment(DomainError):
    """Only an expense of the workspace, in the loan's currency, pays an installment."""

    def __init__(self, currency: str) -> None:
        super().__init__(f"not an expense in {currency} of this workspace")


class PaysAnotherInstallment(DomainError):
    def __init__(self) -> None:
        super().__init__("that transaction already pays an installment")


class InstallmentLinked(DomainError):
    def __init__(self) -> None:
        super().__init__("that installment is already linked")


@dataclass(frozen=True)
class Installment:
    number: int
    due_on: date
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance_after: Decimal


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity_payment(
    principal: Decimal, annual_rate_percent: Decimal, months: int, quantum: Decimal
) -> Decimal:
    """The equal monthly payment that repays ``principal`` in ``months`` months."""
    if principal <= 0 or months <= 0 or annual_rate_percent < 0:
        raise ValueError("a loan needs a positive principal and term and a rate of at least 0")
    with localcontext() as ctx:
        ctx.prec = 28
        rate = annual_rate_percent / Decimal(1200)
        if rate == 0:
            exact = principal / months
        else:
            exact = principal * rate / (1 - (1 + rate) ** -months)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def schedule(
    principal: Decimal,
    annual_rate_percent: Decimal,
    months: int,
    first_due: date,
    quantum: Decimal = Decimal("0.01"),
) -> list[Installment]:
    payment = annuity_payment(principal, annual_rate_percent, months, quantum)
    rate = annual_rate_percent / Decimal(1200)
    balance = principal
    rows = []
    for number in range(1, months + 1):
        interest = (balance * rate).quantize(quantum, rounding=ROUND_HALF_UP)
        if number == months:
            part = balance
        else:
            part = min(payment - interest, balance)
        balance -= part
        rows.append(
            Installment(
                number=number,
                due_on=add_months(first_due, number - 1),
                payment=part + interest,
                principal=part,
                interest=interest,
                balance_after=balance,
            )
        )
    return rows


def check_payment(
    installment: int, term_months: int, loan_currency: str, tx: tuple[str, str] | None
) -> None:
    """Whether an installment exists and ``tx`` (its type and currency) could have paid it."""
    if installment > term_months:
        raise NoSuchInstallment()
    if tx is None or tx != ("expense", loan_currency):
        raise NotALoanPayment(loan_currency)


def owed_on(plan: list[Installment], principal: Decimal, day: date) -> Decimal:
    """The principal still owed on ``day``: what is left after the installments due by then."""
    paid = [row for row in plan if row.due_on <= day]
    return paid[-1].balance_after if paid else principal
