"""Which invoice an incoming payment pays: pure rules, no I/O.

In order of confidence:

1. ``variable_symbol`` — the payment's variable symbol equals the invoice's, compared without
   leading zeros, in the same currency. Applied.
2. ``invoice_number`` — the invoice number stands as a whole token in the payment's message or
   reference, in the same currency. Applied.
3. ``known_payer_amount`` — the same amount and currency as what is still open on the invoice,
   from a bank account that has paid this client before, within the due window. Only suggested.

A rule that points at more than one invoice is ambiguous and applies nothing: those candidates
become suggestions instead, because a wrong automatic match is worse than a missing one. An
invoice that is cancelled never matches; one that is already settled (paid, or fully covered by
matches) is only suggested, since a second payment against it is more often a mistaken symbol
than a real overpayment.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID

from kasa_contracts import Actor
from kasa_ledger.domain.errors import DomainError, NotFound

Reason = Literal["variable_symbol", "invoice_number", "known_payer_amount"]

MatchReason = Literal["variable_symbol", "invoice_number", "suggestion_accepted", "manual"]
"""Why money was applied, as ``ledger.payment.matched`` tells it."""

APPLIED_AS: dict[Reason, MatchReason] = {
    "variable_symbol": "variable_symbol",
    "invoice_number": "invoice_number",
    "known_payer_amount": "suggestion_accepted",
}
"""How a rule's sure decision is told once applied."""

MATCHER = Actor(type="system", id="ledger", name="payment matching")
"""The actor of matches the ledger applies on its own."""

DUE_GRACE = timedelta(days=30)
"""How long after the due date a same-amount payment still counts as paying the invoice."""

MIN_NUMBER_LENGTH = 4
"""Shorter invoice numbers ("7", "A12") appear by chance in messages; they are not searched."""


class CannotMatch(DomainError, ValueError):
    """This transaction cannot pay (that much of) this invoice."""


class InvoiceIsCancelled(DomainError):
    def __init__(self) -> None:
        super().__init__("the invoice is cancelled")


class SuggestionDecided(DomainError):
    def __init__(self, status: str) -> None:
        super().__init__(f"the suggestion is already {status}")


def can_pay(type_: str, kind: str) -> bool:
    """Whether a transaction can pay invoices: only income entries can."""
    return type_ == "income" and kind == "entry"


def check_manual_match(type_: str, kind: str, currency: str, invoice_currency: str | None) -> None:
    """A user may apply a transaction to an invoice only in its currency, and only income."""
    if currency != invoice_currency:
        raise CannotMatch(f"the transaction is in {currency} and the invoice in {invoice_currency}")
    if not can_pay(type_, kind):
        raise CannotMatch("only an income entry can pay an invoice")


def check_invoice_payable(known: bool, issued: bool, cancelled: bool) -> None:
    """A user matches only to an issued invoice (one not yet issued is unknown to them)."""
    if not known or not issued:
        raise NotFound("invoice")
    if cancelled:
        raise InvoiceIsCancelled()


def check_pending(status: str) -> None:
    """Only a suggestion still waiting for a user can be accepted or rejected."""
    if status != "pending":
        raise SuggestionDecided(status)


def normalize_symbol(symbol: str | None) -> str | None:
    """``"0000123"`` → ``"123"``; blank or all zeros → None (no symbol)."""
    if symbol is None:
        return None
    stripped = symbol.strip().lstrip("0")
    return stripped or None


@dataclass(frozen=True)
class Payment:
    """What matching needs to know about an income transaction."""

    id: UUID
    amount_open: Decimal
    """The part of the transaction not yet applied to any invoice."""
    currency: str
    transacted_on: date
    variable_symbol: str | None
    texts: tuple[str, ...]
    """The message and reference, where an invoice number may be written."""
    counterparty_account: str | None


@dataclass(frozen=True)
class OpenInvoice:
    """What matching needs to know about an invoice."""

    id: UUID
    number: str
    variable_symbol: str | None
    client_id: UUID | None
    currency: str
    outstanding: Decimal
    """Total minus what matched payments already cover (may be ≤ 0 once settled)."""
    issue_date: date
    due_date: date
    settled: bool
    """Paid according to invoicing, or fully covered by matches."""


@dataclass(frozen=True)
class Decision:
    invoice_id: UUID
    reason: Reason
    apply: bool
    """True: match now. False: suggest to a user."""


def mentions_number(texts: Iterable[str], number: str) -> bool:
    """The invoice number appears as a whole token (not inside a longer number or word)."""
    if len(number.strip()) < MIN_NUMBER_LENGTH or not any(c.isdigit() for c in number):
        return False
    pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(number.strip())}(?![0-9A-Za-z])", re.I)
    return any(pattern.search(text) for text in texts if text)


def _within_due_window(payment: Payment, invoice: OpenInvoice) -> bool:
    return invoice.issue_date <= payment.transacted_on <= invoice.due_date + DUE_GRACE


def decide(
    payment: Payment,
    invoices: Iterable[OpenInvoice],
    *,
    clients_paid_from_account: frozenset[UUID] = frozenset(),
    excluded: frozenset[UUID] = frozenset(),
) -> list[Decision]:
    """The match to apply (a single decision with ``apply``), or suggestions, or nothing.

    ``excluded`` holds invoices a user already refused for this payment (rejected suggestions,
    undone matches): they are never proposed again.
    """
    if payment.amount_open <= 0:
        return []
    same_currency = [
        inv for inv in invoices if inv.currency == payment.currency and inv.id not in excluded
    ]
    vs = normalize_symbol(payment.variable_symbol)
    rules: list[tuple[Reason, list[OpenInvoice]]] = [
        (
            "variable_symbol",
            [i for i in same_currency if vs and normalize_symbol(i.variable_symbol) == vs],
        ),
        ("invoice_number", [i for i in same_currency if mentions_number(payment.texts, i.number)]),
    ]
    for reason, hits in rules:
        if not hits:
            continue
        if len(hits) == 1 and not hits[0].settled:
            return [Decision(hits[0].id, reason, apply=True)]
        return [Decision(i.id, reason, apply=False) for i in hits]
    return [
        Decision(i.id, "known_payer_amount", apply=False)
        for i in same_currency
        if not i.settled
        and i.client_id is not None
        and i.client_id in clients_paid_from_account
        and i.outstanding == payment.amount_open
        and _within_due_window(payment, i)
    ]


def amount_to_apply(payment_open: Decimal, requested: Decimal | None = None) -> Decimal:
    """What a match takes from a transaction: all that is still open, or what a user asked for.

    Never more than the transaction has left, so a transaction never pays more than its own
    amount in total; overpaying an invoice is fine (the amount actually paid is recorded).
    """
    if payment_open <= 0:
        raise CannotMatch("the transaction is already fully applied to invoices")
    if requested is None:
        return payment_open
    if requested <= 0 or requested > payment_open:
        raise CannotMatch(f"a match can take between 0 and {payment_open} from this transaction")
    return requested


def searched_amount(text: str) -> Decimal | None:
    """The amount a search names ("1 200,50" or "1200.50"), if it is one."""
    cleaned = text.replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except ArithmeticError:
        return None
    return value if value.is_finite() and value > 0 else None
