"""Events published by the invoicing service."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from kasa_contracts.changes import FieldChange
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


class _Changed(EventPayload):
    """Base of the record-change events: which fields changed, before and after."""

    changes: dict[str, FieldChange] = Field(default_factory=dict)


class SupplierProfileUpdated(_Changed):
    """The workspace's supplier profile (who invoices, bank details, numbering) was saved."""

    event_type = "invoicing.supplier_profile.updated"
    entity_type = "supplier_profile"
    entity_id_field = "workspace_id"

    workspace_id: UUID


class ClientCreated(_Changed):
    """A client was added."""

    event_type = "invoicing.client.created"
    entity_type = "client"
    entity_id_field = "client_id"

    client_id: UUID
    name: str


class ClientUpdated(_Changed):
    """A client's details were changed."""

    event_type = "invoicing.client.updated"
    entity_type = "client"
    entity_id_field = "client_id"

    client_id: UUID
    name: str


class ClientDeleted(_Changed):
    """A client was deleted."""

    event_type = "invoicing.client.deleted"
    entity_type = "client"
    entity_id_field = "client_id"

    client_id: UUID
    name: str


class ProjectCreated(_Changed):
    """A project was added for a client."""

    event_type = "invoicing.project.created"
    entity_type = "project"
    entity_id_field = "project_id"

    project_id: UUID
    client_id: UUID
    name: str


class ProjectUpdated(_Changed):
    """A project was changed."""

    event_type = "invoicing.project.updated"
    entity_type = "project"
    entity_id_field = "project_id"

    project_id: UUID
    client_id: UUID
    name: str


class ProjectDeleted(_Changed):
    """A project was deleted."""

    event_type = "invoicing.project.deleted"
    entity_type = "project"
    entity_id_field = "project_id"

    project_id: UUID
    client_id: UUID
    name: str


class WorkEntryCreated(_Changed):
    """Time or a fixed-price piece of work was recorded on a project."""

    event_type = "invoicing.work_entry.created"
    entity_type = "work_entry"
    entity_id_field = "work_entry_id"

    work_entry_id: UUID
    project_id: UUID


class WorkEntryUpdated(_Changed):
    """A work entry that was not invoiced yet was changed."""

    event_type = "invoicing.work_entry.updated"
    entity_type = "work_entry"
    entity_id_field = "work_entry_id"

    work_entry_id: UUID
    project_id: UUID


class WorkEntryDeleted(_Changed):
    """A work entry that was not invoiced yet was deleted."""

    event_type = "invoicing.work_entry.deleted"
    entity_type = "work_entry"
    entity_id_field = "work_entry_id"

    work_entry_id: UUID
    project_id: UUID


class InvoiceDrafted(_Changed):
    """A draft invoice was built from work entries; it has no number until it is issued."""

    event_type = "invoicing.invoice.drafted"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    client_id: UUID
    total: DecimalString
    currency: CurrencyCode
    work_entry_ids: list[UUID] = Field(default_factory=list)


class InvoiceDraftUpdated(_Changed):
    """A line of a draft invoice was changed; ``changes`` are keyed ``lines.<position>.<field>``."""

    event_type = "invoicing.invoice.draft_updated"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    total: DecimalString
    currency: CurrencyCode


class InvoiceDraftDeleted(_Changed):
    """A draft invoice was discarded and its work entries are unbilled again."""

    event_type = "invoicing.invoice.draft_deleted"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    client_id: UUID


class InvoicePaymentRecorded(EventPayload):
    """A payment matched by the ledger was applied to an invoice, or taken off it."""

    event_type = "invoicing.invoice.payment_recorded"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    match_id: UUID
    transaction_id: UUID
    amount: DecimalString = Field(description="Negative when a payment was taken off")
    currency: CurrencyCode
    paid_total: DecimalString
    status: str = Field(examples=["partially_paid"])


class InvoiceShared(EventPayload):
    """A client-portal link to an invoice was created (the token itself never travels)."""

    event_type = "invoicing.invoice.shared"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    share_id: UUID
    expires_at: datetime | None = None


class InvoiceShareRevoked(EventPayload):
    """Client-portal links to an invoice were revoked."""

    event_type = "invoicing.invoice.share_revoked"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    share_ids: list[UUID]


class InvoiceSent(EventPayload):
    """An invoice, or an overdue reminder of it, was queued as mail to its client.

    ``message_id`` is the mail's ``Message-ID``; ``reminder_day`` the days after the due date
    a reminder is for (none for the invoice itself)."""

    event_type = "invoicing.invoice.sent"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    send_id: UUID
    kind: Literal["invoice", "reminder"]
    reminder_day: int | None = None
    to: str = Field(max_length=320)
    cc: list[str] = Field(default_factory=list, max_length=10)
    message_id: str = Field(max_length=400)


class ReminderSettingsChanged(EventPayload):
    """A workspace turned its overdue reminders on or off, or chose other days for them."""

    event_type = "invoicing.reminder_settings.changed"
    entity_type = "workspace"
    entity_id_field = "workspace_id"

    workspace_id: UUID
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class InvoicePortalViewed(EventPayload):
    """Someone holding a share link opened the invoice in the client portal."""

    event_type = "invoicing.invoice.portal_viewed"
    entity_type = "invoice"
    entity_id_field = "invoice_id"

    invoice_id: UUID
    share_id: UUID
    what: Literal["page", "pdf"]


SPECS = [
    EventSpec(InvoiceIssued, "invoicing", ("ledger", "audit")),
    EventSpec(InvoiceCancelled, "invoicing", ("ledger", "audit")),
    EventSpec(InvoicePaid, "invoicing", ("ledger", "audit", "gateway")),
    EventSpec(InvoiceSent, "invoicing", ("audit",)),
    EventSpec(ReminderSettingsChanged, "invoicing", ("audit",)),
    EventSpec(SupplierProfileUpdated, "invoicing", ("audit", "gateway")),
    EventSpec(ClientCreated, "invoicing", ("audit",)),
    EventSpec(ClientUpdated, "invoicing", ("audit",)),
    EventSpec(ClientDeleted, "invoicing", ("audit",)),
    EventSpec(ProjectCreated, "invoicing", ("audit",)),
    EventSpec(ProjectUpdated, "invoicing", ("audit",)),
    EventSpec(ProjectDeleted, "invoicing", ("audit",)),
    EventSpec(WorkEntryCreated, "invoicing", ("audit",)),
    EventSpec(WorkEntryUpdated, "invoicing", ("audit",)),
    EventSpec(WorkEntryDeleted, "invoicing", ("audit",)),
    EventSpec(InvoiceDrafted, "invoicing", ("audit",)),
    EventSpec(InvoiceDraftUpdated, "invoicing", ("audit",)),
    EventSpec(InvoiceDraftDeleted, "invoicing", ("audit",)),
    EventSpec(InvoicePaymentRecorded, "invoicing", ("audit", "gateway")),
    EventSpec(InvoiceShared, "invoicing", ("audit",)),
    EventSpec(InvoiceShareRevoked, "invoicing", ("audit",)),
    EventSpec(InvoicePortalViewed, "invoicing", ("audit", "gateway")),
]
