"""Dashboard figures from plain facts: overdue and outstanding as of a day."""

import uuid
from datetime import date
from decimal import Decimal

from kasa_invoicing.domain.dashboard import InvoiceFact, build_dashboard


def test_overdue_counts_only_unpaid_invoices_past_their_due_date():
    def issued(due, status="issued", paid="0"):
        return InvoiceFact(
            client_id=uuid.uuid4(),
            client_name="A",
            status=status,
            currency="CZK",
            issue_date=date(2026, 1, 1),
            due_date=due,
            total=Decimal("100"),
            paid_total=Decimal(paid),
        )

    board = build_dashboard(
        date(2026, 1, 1),
        date(2026, 12, 31),
        date(2026, 3, 1),
        [],
        [
            issued(date(2026, 2, 1)),
            issued(date(2026, 2, 1), "partially_paid", "40"),
            issued(date(2026, 3, 1)),  # due today: not yet overdue
            issued(date(2026, 2, 1), "paid", "100"),
            issued(date(2026, 2, 1), "cancelled"),
        ],
        [],
    )
    figures = board.currencies["CZK"]
    assert (figures.overdue.count, figures.overdue.amount) == (2, Decimal("160"))
    assert (figures.outstanding.count, figures.outstanding.amount) == (3, Decimal("260"))
    assert figures.invoiced == Decimal("400"), "cancelled invoices are not invoiced"
