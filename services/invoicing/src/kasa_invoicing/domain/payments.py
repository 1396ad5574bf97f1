"""Payments the ledger matched to invoices: what may apply, and where the invoice then stands."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from kasa_invoicing.domain.lifecycle import status_after_payments


class PaymentRefused(Exception):
    """A payment event that cannot apply; raising parks it for an operator to look at."""


def check_currency(currency: str, invoice_id: UUID, invoice_currency: str) -> None:
    if currency != invoice_currency:
        raise PaymentRefused(
            f"a {currency} payment cannot pay invoice {invoice_id} in {invoice_currency}"
        )


def check_unmatch(match_id: UUID, recorded_on: UUID | None, invoice_id: UUID) -> None:
    """An unmatch applies to the invoice its match was recorded on (``recorded_on``)."""
    if recorded_on is None:
        # Without ordering guarantees the unmatch can overtake its match: retry until the
        # match has arrived (it parks if it never does).
        raise PaymentRefused(f"match {match_id} has not been recorded yet")
    if recorded_on != invoice_id:
        raise PaymentRefused(f"match {match_id} belongs to another invoice")


@dataclass(frozen=True)
class Settlement:
    """Where an invoice stands after its payments changed."""

    status: str
    paid_total: Decimal
    paid_on: date | None
    """The day of the last payment once paid in full, else none."""
    newly_paid: bool
    """It is paid now and was not before: a new fact to announce."""


def settle(
    status: str, total: Decimal, paid_total: Decimal, last_paid_on: date | None
) -> Settlement:
    after = status_after_payments(status, total, paid_total)
    return Settlement(
        status=after,
        paid_total=paid_total,
        paid_on=last_paid_on if after == "paid" else None,
        newly_paid=after == "paid" and status != "paid",
    )
