"""A booked entry as it reads now: after its corrections and with the invoices it pays."""

from decimal import Decimal
from uuid import uuid4

from kasa_ledger.app.transactions import Entry
from kasa_ledger.db.queries import Paid
from kasa_ledger.db.tables import Transaction
from kasa_ledger.domain.corrections import Adjustment

D = Decimal


def test_an_entry_reads_as_its_corrections_and_payments_make_it():
    row = Transaction(id=uuid4(), type="income", amount=D("1000"), currency="CZK")
    paid = [Paid(uuid4(), uuid4(), D("600"), "manual"), Paid(uuid4(), uuid4(), D("300"), "manual")]
    entry = Entry(row, [Adjustment("adjustment", "expense", D("100"))], paid)
    assert (entry.effective_amount, entry.voided, entry.matched_amount) == (D("900"), False, 900)
    void = Entry(row, [Adjustment("reversal", "expense", D("1000"))], [])
    assert (void.effective_amount, void.voided, void.matched_amount) == (0, True, 0)
