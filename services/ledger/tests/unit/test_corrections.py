"""Corrections as linked entries: the arithmetic that keeps booked money honest."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

import pytest

from kasa_ledger.domain.corrections import (
    Adjustment,
    Entry,
    NotAnEntry,
    PaysInvoices,
    TransactionVoided,
    adjustment_row,
    check_correctable,
    check_lowering,
    corrected,
    correction_entry,
    effective_amount,
    is_voided,
    restatement_entry,
    reversal_entry,
)

D = Decimal


def test_lowering_and_raising_book_the_difference_in_the_right_direction():
    assert correction_entry("income", D("1000"), D("900")) == Entry("expense", D("100"))
    assert correction_entry("expense", D("1000"), D("1200")) == Entry("expense", D("200"))
    with pytest.raises(ValueError):
        correction_entry("income", D("1000"), D("1000"))


def test_effective_amount_and_void():
    adjustments = [Adjustment("adjustment", "expense", D("100"))]
    assert effective_amount("income", D("1000"), adjustments) == D("900")
    reversal = reversal_entry("income", D("900"))
    assert reversal == Entry("expense", D("900"))
    voided = [*adjustments, Adjustment("reversal", reversal.type, reversal.amount)]
    assert effective_amount("income", D("1000"), voided) == 0
    assert is_voided(voided) and not is_voided(adjustments)


def test_a_bank_may_even_flip_the_direction():
    assert restatement_entry("income", D("100"), "income", D("100")) is None
    assert restatement_entry("income", D("100"), "expense", D("100")) == Entry("expense", D("200"))


def test_only_an_entry_that_is_not_voided_is_corrected():
    check_correctable("entry", [Adjustment("adjustment", "expense", D("1"))])
    with pytest.raises(NotAnEntry, match="through the entry it belongs to"):
        check_correctable("adjustment", [])
    with pytest.raises(TransactionVoided, match="is voided"):
        check_correctable("entry", [Adjustment("reversal", "expense", D("10"))])


def test_money_that_pays_invoices_is_not_lowered_under_it():
    check_lowering(D("500"), D("500"))
    with pytest.raises(PaysInvoices) as refused:
        check_lowering(D("400"), D("500.00"))
    assert (
        str(refused.value) == "500.00 of this transaction pays invoices; unmatch before lowering it"
    )


def original(**overrides):
    fields = dict(
        id=uuid4(),
        workspace_id=uuid4(),
        type="income",
        amount=D("1000.0000"),
        currency="CZK",
        transacted_on=date(2026, 2, 1),
        value_date=None,
        counterparty="Acme",
        counterparty_account="19/0800",
        account_ref="CZ65",
        account_id=uuid4(),
        category="sales",
        category_set_by="rule",
    )
    return SimpleNamespace(**(fields | overrides))


def test_an_adjustment_inherits_the_entry_and_carries_only_the_difference():
    entry = original()
    row = adjustment_row(
        entry,
        correction_entry("income", D("1000"), D("900")),
        kind="correction",
        reason="fee",
        source="manual",
        adjustment_id=uuid4(),
        created_at=datetime(2026, 2, 2, tzinfo=UTC),
    )
    assert (row["kind"], row["type"], row["amount"], row["adjusts_id"]) == (
        "adjustment",
        "expense",
        D("100"),
        entry.id,
    )
    assert (row["currency"], row["transacted_on"], row["category"], row["external_id"]) == (
        "CZK",
        date(2026, 2, 1),
        "sales",
        None,
    )
    event = corrected(entry, row, kind="correction", before=[])
    assert (event.transaction_id, event.adjustment_id, event.reason) == (entry.id, row["id"], "fee")
    amount = event.changes["amount"]
    assert (amount.before, amount.after) == ("1000", "900"), "as ``wire_value`` writes them"
    assert "voided" not in event.changes


def test_a_void_event_shows_the_entry_going_to_zero():
    entry = original(type="expense")
    earlier = [Adjustment("adjustment", "income", D("100"))]
    row = adjustment_row(
        entry,
        reversal_entry("expense", D("900")),
        kind="void",
        reason="duplicate",
        source="manual",
        adjustment_id=uuid4(),
        created_at=datetime(2026, 2, 2, tzinfo=UTC),
    )
    assert (row["kind"], row["type"]) == ("reversal", "income")
    event = corrected(entry, row, kind="void", before=earlier)
    changes = {name: (c.before, c.after) for name, c in event.changes.items()}
    assert changes == {"amount": ("900", "0"), "voided": (False, True)}
