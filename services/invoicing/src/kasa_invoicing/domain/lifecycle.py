"""The invoice lifecycle: draft → issued → partially_paid → paid, or cancelled.

Overdue is not a stored status: an unpaid issued invoice is overdue once its due date passed.
"""

from datetime import date
from decimal import Decimal
from typing import Literal

Status = Literal["draft", "issued", "partially_paid", "paid", "cancelled"]
AWAITING_PAYMENT: tuple[Status, ...] = ("issued", "partially_paid")


def status_after_payments(current: str, total: Decimal, paid: Decimal) -> str:
    """Where an issued invoice stands once ``paid`` of its ``total`` has arrived.

    Drafts and cancelled invoices keep their status: money recorded against them is kept
    but does not move them.
    """
    if current not in ("issued", "partially_paid", "paid"):
        return current
    if paid >= total:
        return "paid"
    if paid > 0:
        return "partially_paid"
    return "issued"


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    return status in AWAITING_PAYMENT and due_date is not None and due_date < today
