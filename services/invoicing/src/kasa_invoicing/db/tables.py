"""The invoicing service's own tables. Every row belongs to one workspace."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import Money, UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SupplierProfile(Base):
    """Who sends the workspace's invoices: one per workspace."""

    __tablename__ = "supplier_profiles"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[str | None] = mapped_column(String(32))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    default_currency: Mapped[str] = mapped_column(String(3))
    number_format: Mapped[str] = mapped_column(String(64))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    vat_payer: Mapped[bool]
    logo_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Client(Base):
    """Someone the workspace invoices."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_workspace_name", "workspace_id", "name", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    company_id: Mapped[str | None] = mapped_column(String(32))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(2))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Project(Base):
    """Work for one client; its rate and currency fall back to the client's."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_workspace_client", "workspace_id", "client_id", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    client_id: Mapped[UUID] = mapped_column(ForeignKey("clients.id"))
    name: Mapped[str] = mapped_column(String(200))
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkEntry(Base):
    """Time (minutes at the project's rate) or a fixed amount done on one day."""

    __tablename__ = "work_entries"
    __table_args__ = (
        Index("ix_work_entries_workspace_date", "workspace_id", "work_date", "id"),
        Index("ix_work_entries_invoice", "invoice_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id"))
    client_id: Mapped[UUID] = mapped_column(ForeignKey("clients.id"))
    work_date: Mapped[date]
    minutes: Mapped[int | None] = mapped_column(Integer)
    fixed_amount: Mapped[Decimal | None] = mapped_column(Money)
    description: Mapped[str] = mapped_column(Text)
    billable: Mapped[bool]
    invoice_id: Mapped[UUID | None] = mapped_column(
        comment="set while the entry is on a draft or issued invoice; the entry is then locked"
    )
    started_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="a running timer; minutes are filled in when it stops"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceCounter(Base):
    """The last number issued per workspace and year; its row lock serialises issuing."""

    __tablename__ = "invoice_counters"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Invoice(Base):
    """An invoice: a draft without number, then issued with a gap-free number."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_invoices_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    client_id: Mapped[UUID] = mapped_column(ForeignKey("clients.id"))
    number: Mapped[str | None] = mapped_column(String(64))
    variable_symbol: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(2))
    issue_date: Mapped[date | None]
    due_date: Mapped[date | None]
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    vat_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    paid_total: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    supplier: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="the supplier profile as it was when the invoice was issued"
    )
    client: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="the client's details as they were when the invoice was drafted"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InvoiceLine(Base):
    """One priced line of an invoice."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Money)
    unit: Mapped[str] = mapped_column(String(16))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Money)
    net_amount: Mapped[Decimal] = mapped_column(Money)
    work_entry_ids: Mapped[list[str]] = mapped_column(JSON)


class Payment(Base):
    """Money the ledger matched to an invoice; ``removed_at`` once it was unmatched."""

    __tablename__ = "payments"
    __table_args__ = (
        # One ledger match is applied once, whichever event delivered it.
        UniqueConstraint("workspace_id", "match_id"),
        Index("ix_payments_invoice", "invoice_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id"))
    match_id: Mapped[UUID]
    transaction_id: Mapped[UUID]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ShareLink(Base):
    """A client-portal link to one invoice; only the token's SHA-256 is stored."""

    __tablename__ = "share_links"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InvoiceSend(Base):
    """One mail of an invoice to its client: the invoice itself, or an overdue reminder.

    A reminder is sent once per invoice and reminder day (the unique constraint; sends of the
    invoice itself have no day and may repeat)."""

    __tablename__ = "invoice_sends"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind", "reminder_day"),
        Index("ix_invoice_sends_invoice_created", "invoice_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(String(16), comment="invoice or reminder")
    reminder_day: Mapped[int | None] = mapped_column(
        Integer, comment="days after the due date, for a reminder"
    )
    recipient: Mapped[str] = mapped_column(String(320))
    cc: Mapped[list[str]] = mapped_column(JSON)
    mail_id: Mapped[UUID] = mapped_column(comment="the mail outbox row and the Message-ID")
    sent_by: Mapped[str] = mapped_column(String(200), comment="the actor's type:id")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReminderSettings(Base):
    """A workspace's overdue reminders; a workspace without a row has the defaults."""

    __tablename__ = "reminder_settings"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    enabled: Mapped[bool]
    days: Mapped[list[int]] = mapped_column(JSON, comment="days after the due date")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata
