"""What a user may match by hand, and which suggestions are still theirs to decide."""

import pytest

from kasa_ledger.domain.errors import NotFound
from kasa_ledger.domain.matching import (
    CannotMatch,
    InvoiceIsCancelled,
    SuggestionDecided,
    can_pay,
    check_invoice_payable,
    check_manual_match,
    check_pending,
)


def test_only_income_entries_pay_invoices():
    assert can_pay("income", "entry")
    assert not can_pay("expense", "entry")
    assert not can_pay("income", "adjustment"), "corrections go through their entry"


def test_a_user_matches_only_to_an_issued_invoice_that_still_expects_money():
    check_invoice_payable(known=True, issued=True, cancelled=False)
    with pytest.raises(NotFound, match=r"^invoice does not exist$"):
        check_invoice_payable(known=False, issued=False, cancelled=False)
    with pytest.raises(NotFound):
        check_invoice_payable(known=True, issued=False, cancelled=True)
    with pytest.raises(InvoiceIsCancelled, match=r"^the invoice is cancelled$"):
        check_invoice_payable(known=True, issued=True, cancelled=True)


def test_a_manual_match_needs_the_same_currency_and_an_income_entry():
    check_manual_match("income", "entry", "CZK", "CZK")
    with pytest.raises(CannotMatch, match=r"^the transaction is in CZK and the invoice in EUR$"):
        check_manual_match("income", "entry", "CZK", "EUR")
    with pytest.raises(CannotMatch, match=r"^only an income entry can pay an invoice$"):
        check_manual_match("expense", "entry", "CZK", "CZK")


def test_a_decided_suggestion_is_not_decided_again():
    check_pending("pending")
    with pytest.raises(SuggestionDecided, match=r"^the suggestion is already accepted$"):
        check_pending("accepted")
