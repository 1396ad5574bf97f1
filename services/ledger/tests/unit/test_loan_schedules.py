"""Annuity loans: a payment a bank would quote, and a schedule that repays exactly."""

from datetime import date
from decimal import Decimal

import pytest

from kasa_ledger.app.loans import monthly_payment, owed, plan
from kasa_ledger.db.tables import Loan
from kasa_ledger.domain.loans import (
    NoSuchInstallment,
    NotALoanPayment,
    add_months,
    annuity_payment,
    check_payment,
    schedule,
)

D = Decimal


def test_the_monthly_payment_is_the_textbook_annuity():
    # 100,000 at 6 % a year over 12 months: 100000 * 0.005 / (1 - 1.005**-12) = 8606.6429...
    assert annuity_payment(D("100000"), D("6"), 12, D("0.01")) == D("8606.64")
    assert annuity_payment(D("1000"), D("0"), 3, D("0.01")) == D("333.33")
    assert annuity_payment(D("100000"), D("6"), 12, D("1")) == D("8607"), "JPY-like whole units"


def test_the_schedule_repays_the_principal_exactly():
    rows = schedule(D("100000"), D("6"), 12, date(2026, 1, 31))
    assert sum(r.principal for r in rows) == D("100000")
    assert rows[-1].balance_after == 0
    assert rows[0].interest == D("500.00")
    assert all(r.payment == D("8606.64") for r in rows[:-1])
    assert rows[-1].payment == D("8606.69"), "the last one absorbs the rounding of the others"
    assert [r.due_on for r in rows[:3]] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    zero = schedule(D("1000"), D("0"), 3, date(2026, 1, 1))
    assert [r.payment for r in zero] == [D("333.33"), D("333.33"), D("333.34")]


def test_months_clamp_to_the_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_an_installment_is_paid_by_an_expense_in_the_loans_currency():
    check_payment(12, 12, "CZK", ("expense", "CZK"))
    with pytest.raises(NoSuchInstallment):
        check_payment(13, 12, "CZK", ("expense", "CZK"))
    for wrong in (None, ("income", "CZK"), ("expense", "EUR")):
        with pytest.raises(NotALoanPayment, match=r"^not an expense in CZK of this workspace$"):
            check_payment(1, 12, "CZK", wrong)


def loan(**overrides):
    fields = dict(
        principal=D("100000"),
        currency="CZK",
        annual_rate=D("6"),
        term_months=12,
        first_due=date(2026, 1, 31),
    )
    return Loan(**(fields | overrides))


def test_what_a_loan_still_owes_drops_as_installments_fall_due():
    car = loan()
    assert owed(car, date(2026, 1, 10)) == D("100000"), "nothing due yet"
    assert owed(car, date(2026, 2, 1)) == D("91893.36")
    assert owed(car, date(2027, 1, 1)) == 0
    assert monthly_payment(car) == D("8606.64")
    assert monthly_payment(loan(currency="JPY")) == D("8607"), "at the currency's minor unit"
    assert [r.principal for r in plan(car)][-1] + sum(r.principal for r in plan(car)[:-1]) == D(
        "100000"
    )
