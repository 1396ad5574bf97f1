"""The invoice state machine: which step each status allows, and where it leads."""

from datetime import date
from decimal import Decimal

import pytest

from kasa_invoicing.domain import lifecycle
from kasa_invoicing.domain.errors import Conflict, Invalid
from kasa_invoicing.domain.lifecycle import TransitionRefused

STATUSES = ("draft", "issued", "partially_paid", "paid", "cancelled")


@pytest.mark.parametrize("status", STATUSES)
def test_each_status_allows_exactly_its_steps(status):
    def allowed(step, *args, **kwargs):
        try:
            step(status, *args, **kwargs)
        except TransitionRefused:
            return False
        return True

    assert allowed(lifecycle.issue, Decimal(1), has_supplier=True) == (status == "draft")
    assert allowed(lifecycle.check_deletable) == (status == "draft")
    assert allowed(lifecycle.check_lines_editable) == (status == "draft")
    assert allowed(lifecycle.cancel) == (status in ("issued", "partially_paid"))
    assert allowed(lifecycle.check_shareable) == (status != "draft")


def test_issuing_leads_to_issued_and_cancelling_to_cancelled():
    assert lifecycle.issue("draft", Decimal(1), has_supplier=True) == "issued"
    assert lifecycle.cancel("partially_paid") == "cancelled"


def test_a_draft_is_issued_only_with_a_supplier_and_something_to_pay():
    with pytest.raises(Conflict, match="supplier profile"):
        lifecycle.issue("draft", Decimal(1), has_supplier=False)
    with pytest.raises(Invalid, match="zero total"):
        lifecycle.issue("draft", Decimal(0), has_supplier=True)


def test_payments_move_only_invoices_awaiting_or_having_money():
    after = lifecycle.status_after_payments
    assert after("issued", Decimal(100), Decimal(40)) == "partially_paid"
    assert after("partially_paid", Decimal(100), Decimal(100)) == "paid"
    assert after("paid", Decimal(100), Decimal(0)) == "issued", "an unmatch takes it back"
    assert after("draft", Decimal(100), Decimal(100)) == "draft"
    assert after("cancelled", Decimal(100), Decimal(100)) == "cancelled"


def test_terms_due_dates_and_what_is_owed():
    assert lifecycle.payment_terms(None, 30, 14) == 30
    assert lifecycle.payment_terms(None, None, None) == lifecycle.DEFAULT_PAYMENT_TERMS_DAYS
    assert lifecycle.payment_terms(0, 30) == 0, "zero days is a choice, not a gap"
    assert lifecycle.due_date(date(2026, 3, 31), 14) == date(2026, 4, 14)
    assert lifecycle.outstanding("partially_paid", Decimal(100), Decimal(40)) == Decimal(60)
    assert lifecycle.outstanding("cancelled", Decimal(100), Decimal(0)) == Decimal(0)
    assert lifecycle.is_overdue("issued", date(2026, 3, 1), date(2026, 3, 2))
    assert not lifecycle.is_overdue("issued", date(2026, 3, 2), date(2026, 3, 2))
