"""Events published by the ledger service."""

from datetime import date
from typing import Literal
from uuid import UUID

from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec
from kasa_contracts.types import CurrencyCode, PositiveAmount


class TransactionRecorded(EventPayload):
    """A money transaction was booked in the ledger."""

    event_type = "ledger.transaction.recorded"
    entity_type = "transaction"
    entity_id_field = "transaction_id"

    transaction_id: UUID
    source: str
    external_id: str | None
    type: Literal["income", "expense"]
    amount: PositiveAmount
    currency: CurrencyCode
    transacted_on: date


class PaymentMatched(EventPayload):
    """Money of a ledger transaction was applied to an invoice."""

    event_type = "ledger.payment.matched"
    entity_type = "payment"
    entity_id_field = "match_id"

    match_id: UUID
    invoice_id: UUID
    transaction_id: UUID
    amount: PositiveAmount
    currency: CurrencyCode
    paid_on: date
    reason: Literal["variable_symbol", "invoice_number", "suggestion_accepted", "manual"]


class PaymentUnmatched(EventPayload):
    """A previously applied payment was taken off its invoice."""

    event_type = "ledger.payment.unmatched"
    entity_type = "payment"
    entity_id_field = "match_id"

    match_id: UUID
    invoice_id: UUID
    transaction_id: UUID
    amount: PositiveAmount
    currency: CurrencyCode


SPECS = [
    EventSpec(TransactionRecorded, "ledger", ("audit", "gateway")),
    EventSpec(PaymentMatched, "ledger", ("invoicing", "audit", "gateway")),
    EventSpec(PaymentUnmatched, "ledger", ("invoicing", "audit", "gateway")),
]
