"""Net worth and cash-flow arithmetic: what is held and owed, per currency."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from kasa_ledger.domain.holdings import latest_totals
from kasa_ledger.domain.reports import (
    PeriodReversed,
    by_currency,
    cash_flow,
    check_period,
    month_ends,
    positions,
)

D = Decimal


def test_each_holding_counts_with_its_latest_value():
    car, flat = uuid4(), uuid4()
    values = [
        (car, "CZK", date(2026, 1, 1), D("300000")),
        (car, "CZK", date(2026, 6, 30), D("270000")),
        (flat, "EUR", date(2026, 1, 1), D("250000")),
    ]
    assert latest_totals(values) == {"CZK": D("270000"), "EUR": D("250000")}


def test_net_worth_per_currency_is_held_plus_owned_minus_owed():
    found = positions(
        accounts=by_currency([("CZK", D("150000")), ("CZK", D("5000")), ("EUR", D("10"))]),
        assets={"CZK": D("300000")},
        liabilities={"CZK": D("12000")},
        loans={"CZK": D("100000"), "USD": D("50")},
    )
    assert [p.currency for p in found] == ["CZK", "EUR", "USD"]
    czk, eur, usd = found
    assert czk.net_worth == D("343000")
    assert (eur.accounts, eur.net_worth) == (D("10"), D("10"))
    assert (usd.loans, usd.net_worth) == (D("50"), D("-50"))


def test_a_void_cancels_out_in_the_cash_flow():
    flows = cash_flow(
        [
            (date(2026, 1, 5), "CZK", "income", None, D("1000")),
            (date(2026, 1, 20), "CZK", "expense", "rent", D("300")),
            (date(2026, 2, 2), "CZK", "income", None, D("50")),
            (date(2026, 2, 3), "CZK", "expense", None, D("50")),
        ]
    )
    january, february = flows[("2026-01", "CZK")], flows[("2026-02", "CZK")]
    assert (january.inflow, january.outflow, january.net) == (D("1000"), D("300"), D("700"))
    assert dict(january.by_category) == {None: D("1000"), "rent": D("-300")}
    assert february.net == 0


def test_a_period_ends_after_it_starts():
    check_period(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(PeriodReversed, match=r"^`to` is before `from`$"):
        check_period(date(2026, 3, 1), date(2026, 1, 1))


def test_a_closed_holding_counts_until_the_day_before_it_closed():
    car = uuid4()
    values = [(car, "CZK", date(2026, 1, 1), D("300000"))]
    closed = {car: date(2026, 5, 1)}
    assert latest_totals(values, closed, date(2026, 4, 30)) == {"CZK": D("300000")}
    assert latest_totals(values, closed, date(2026, 5, 1)) == {}


def test_month_ends_close_each_month_and_stop_at_the_end():
    assert month_ends(date(2026, 11, 15), date(2027, 2, 10)) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 10),
    ]
    assert month_ends(date(2026, 2, 1), date(2026, 2, 1)) == [date(2026, 2, 1)]
