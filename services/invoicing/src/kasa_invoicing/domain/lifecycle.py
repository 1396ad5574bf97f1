"""The invoice lifecycle: draft → issued → partially_paid → paid, or cancelled.

``STEPS`` is the state machine of what people do to an invoice; the functions below take those
steps and refuse any it does not allow. Payments move an invoice between issued, partially paid
and paid. Overdue is not a stored status: an unpaid issued invoice is overdue once its due
date passed.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from kasa_invoicing.domain.errors import Conflict, Invalid

Status = Literal["draft", "issued", "partially_paid", "paid", "cancelled"]
AWAITING_PAYMENT: tuple[Status, ...] = ("issued", "partially_paid")
DEFAULT_PAYMENT_TERMS_DAYS = 14

Step = Literal["issue", "edit_lines", "delete", "cancel"]

STEPS: dict[Step, dict[str, Status | None]] = {
    "issue": {"draft": "issued"},
    "edit_lines": {"draft": "draft"},
    "delete": {"draft": None},
    "cancel": {"issued": "cancelled", "partially_paid": "cancelled"},
}
"""The steps a person takes, from the statuses that allow them to the status they lead to
(``None``: the invoice is gone). Payments move an invoice by ``status_after_payments``."""


class TransitionRefused(Conflict):
    """The invoice's status does not allow this step."""


def _step(step: Step, status: str, refusal: str) -> Status | None:
    if status not in STEPS[step]:
        raise TransitionRefused(refusal)
    return STEPS[step][status]


def issue(status: str, total: Decimal, *, has_supplier: bool) -> Status:
    """The status of a draft once issued; refused for anything else, without a supplier
    profile (the invoice must say who it is from) and with nothing to pay."""
    issued = _step("issue", status, f"the invoice is {status}; only a draft can be issued")
    if not has_supplier:
        raise Conflict("set up the supplier profile (PUT /api/v1/supplier) before issuing")
    if total <= 0:
        raise Invalid("an invoice with a zero total cannot be issued")
    assert issued is not None
    return issued


def cancel(status: str) -> Status:
    """The status of a cancelled invoice; only one awaiting payment can be cancelled."""
    if status == "draft":
        raise TransitionRefused("a draft has no number to cancel; delete it instead")
    cancelled = _step("cancel", status, f"the invoice is {status} and cannot be cancelled")
    assert cancelled is not None
    return cancelled


def check_deletable(status: str) -> None:
    """Only a draft can be deleted: an issued invoice has a number that must not vanish."""
    _step("delete", status, "only a draft can be deleted; cancel an issued invoice instead")


def check_lines_editable(status: str) -> None:
    """Only a draft's lines can change: an issued invoice is what the client received."""
    _step("edit_lines", status, "only a draft's lines can change")


def check_shareable(status: str) -> None:
    """A client sees an invoice only once it is issued."""
    if status == "draft":
        raise TransitionRefused("issue the invoice before sharing it with the client")


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


def payment_terms(*choices: int | None) -> int:
    """The first terms given, most specific first (the request, the client, the supplier)."""
    return next((days for days in choices if days is not None), DEFAULT_PAYMENT_TERMS_DAYS)


def due_date(issued_on: date, payment_terms_days: int) -> date:
    return issued_on + timedelta(days=payment_terms_days)


def outstanding(status: str, total: Decimal, paid: Decimal) -> Decimal:
    """What is still owed: nothing on a draft, a cancelled or an overpaid invoice."""
    return max(total - paid, Decimal(0)) if status in AWAITING_PAYMENT else Decimal(0)


def is_overdue(status: str, due: date | None, today: date) -> bool:
    return status in AWAITING_PAYMENT and due is not None and due < today
