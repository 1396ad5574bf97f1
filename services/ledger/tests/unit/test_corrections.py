"""Corrections as linked entries: the arithmetic that keeps booked money honest."""

from decimal import Decimal

import pytest

from kasa_ledger.domain.corrections import (
    Adjustment,
    Entry,
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
