"""Events published by the invoicing service."""

from datetime import date
from uuid import UUID

from pydantic import Field

from kasa_contracts.envelope import EventPayload
from kasa_contracts.spec import EventSpec
from kasa_contracts.types import CurrencyCode, DecimalString, PositiveAmount


class InvoiceIssued(EventPayload):
    """An invoice was issued to a client and now waits for payment."""

    event_type = "invoicing.invoice.issued"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    number: str = Field(examples=["2026-0001"])
    variable_symbol: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    client_id: UUID
    client_name: str
    total: PositiveAmount
    currency: CurrencyCode
    issue_date: date
    due_date: date


class InvoiceCancelled(EventPayload):
    """An issued invoice was cancelled; it is no longer expected to be paid."""

    event_type = "invoicing.invoice.cancelled"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    number: str


class InvoicePaid(EventPayload):
    """Payments recorded against an invoice reached its total."""

    event_type = "invoicing.invoice.paid"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    number: str
    paid_total: DecimalString
    currency: CurrencyCode
    paid_on: date


SPECS = [
    EventSpec(InvoiceIssued, "invoicing", ("ledger", "audit")),
    EventSpec(InvoiceCancelled, "invoicing", ("ledger", "audit")),
    EventSpec(InvoicePaid, "invoicing", ("ledger", "audit", "gateway")),
]
