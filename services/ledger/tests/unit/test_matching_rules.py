"""The matching rules on their own: which invoice a payment pays, and how sure that is."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from kasa_ledger.domain.matching import (
    OpenInvoice,
    Payment,
    amount_to_apply,
    decide,
    mentions_number,
    normalize_symbol,
)


def payment(**overrides):
    fields = dict(
        id=uuid4(),
        amount_open=Decimal("1000"),
        currency="CZK",
        transacted_on=date(2026, 2, 10),
        variable_symbol=None,
        texts=(),
        counterparty_account="123/0100",
    )
    return Payment(**(fields | overrides))


def open_invoice(**overrides):
    fields = dict(
        id=uuid4(),
        number="2026-0001",
        variable_symbol="20260001",
        client_id=uuid4(),
        currency="CZK",
        outstanding=Decimal("1000"),
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 2, 15),
        settled=False,
    )
    return OpenInvoice(**(fields | overrides))


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("0000123", "123"), ("123", "123"), ("0000", None), (None, None), (" 07 ", "7")],
)
def test_symbols_compare_without_leading_zeros(raw, normal):
    assert normalize_symbol(raw) == normal


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Faktura 2026-0001", True),
        ("fa 2026-0001, dekuji", True),
        ("2026-00011", False),
        ("X2026-0001", False),
        ("12026-0001", False),
        ("", False),
    ],
)
def test_an_invoice_number_counts_only_as_a_whole_token(text, found):
    assert mentions_number([text], "2026-0001") is found


def test_short_numbers_are_not_searched_in_messages():
    assert mentions_number(["Platba 7"], "7") is False


def test_symbol_first_then_number_then_only_suggestions():
    by_symbol = open_invoice()
    by_number = open_invoice(number="2026-0002", variable_symbol="20260002")
    [decision] = decide(
        payment(variable_symbol="020260001", texts=("2026-0002",)), [by_symbol, by_number]
    )
    assert (decision.invoice_id, decision.reason, decision.apply) == (
        by_symbol.id,
        "variable_symbol",
        True,
    )
    [decision] = decide(payment(texts=("Faktura 2026-0002",)), [by_symbol, by_number])
    assert (decision.invoice_id, decision.reason, decision.apply) == (
        by_number.id,
        "invoice_number",
        True,
    )


def test_another_currency_never_matches():
    eur = open_invoice(currency="EUR")
    assert decide(payment(variable_symbol="20260001"), [eur]) == []


def test_an_ambiguous_symbol_only_suggests():
    twins = [open_invoice(), open_invoice(number="2026-0099")]
    decisions = decide(payment(variable_symbol="20260001"), twins)
    assert [d.apply for d in decisions] == [False, False]


def test_a_settled_invoice_is_only_suggested():
    [decision] = decide(payment(variable_symbol="20260001"), [open_invoice(settled=True)])
    assert decision.apply is False


def test_known_payer_and_same_amount_within_the_due_window_is_a_suggestion():
    client = uuid4()
    inv = open_invoice(variable_symbol=None, client_id=client)
    known = frozenset({client})
    [decision] = decide(payment(), [inv], clients_paid_from_account=known)
    assert (decision.reason, decision.apply) == ("known_payer_amount", False)
    assert decide(payment(), [inv]) == [], "an unknown payer is not enough"
    late = payment(transacted_on=date(2026, 5, 1))
    assert decide(late, [inv], clients_paid_from_account=known) == []
    other_amount = payment(amount_open=Decimal("999"))
    assert decide(other_amount, [inv], clients_paid_from_account=known) == []


def test_refused_invoices_are_never_proposed_again():
    inv = open_invoice()
    assert decide(payment(variable_symbol="20260001"), [inv], excluded=frozenset({inv.id})) == []


def test_a_match_takes_at_most_what_is_left():
    assert amount_to_apply(Decimal("1500")) == Decimal("1500")
    assert amount_to_apply(Decimal("1500"), Decimal("1000")) == Decimal("1000")
    with pytest.raises(ValueError):
        amount_to_apply(Decimal("1500"), Decimal("1500.01"))
    with pytest.raises(ValueError):
        amount_to_apply(Decimal("0"))
