"""The ledger's own tables."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import Money, MoneyTotal, UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    """Where money sits: a bank account seen in imports, or a manual one (cash, wallet)."""

    __tablename__ = "accounts"
    __table_args__ = (
        # One bank account per workspace, however many imports mention it.
        UniqueConstraint("workspace_id", "bank_ref", "currency"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), comment="bank, cash, wallet, other")
    bank_ref: Mapped[str | None] = mapped_column(
        String(100), comment="IBAN, else domestic number, else the provider's id; null if manual"
    )
    iban: Mapped[str | None] = mapped_column(String(50))
    account_number: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    opening_balance: Mapped[Decimal] = mapped_column(Money)
    opening_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Transaction(Base):
    """A booked money movement, imported from a bank or entered by hand.

    Amount, date and currency never change once booked: a correction is another row of kind
    ``adjustment`` and a void a row of kind ``reversal``, both pointing at the original through
    ``adjusts_id``. Summing signed amounts over all rows gives the true money.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        # The natural key of imported money: the same bank movement is never booked twice,
        # whatever the inbox says.
        UniqueConstraint("workspace_id", "source", "external_id"),
        Index("ix_transactions_workspace_date", "workspace_id", "transacted_on", "id"),
        Index("ix_transactions_workspace_vs", "workspace_id", "vs_normalized"),
        Index("ix_transactions_adjusts", "adjusts_id"),
        # The list's filters that pick few rows read them in page order (date, id) through
        # their own index, instead of walking the workspace's whole date index to fill a page.
        Index(
            "ix_transactions_workspace_account_date",
            "workspace_id",
            "account_id",
            "transacted_on",
            "id",
        ),
        Index(
            "ix_transactions_workspace_category_date",
            "workspace_id",
            "category",
            "transacted_on",
            "id",
        ),
        Index(
            "ix_transactions_workspace_source_date", "workspace_id", "source", "transacted_on", "id"
        ),
        Index("ix_transactions_workspace_sync", "workspace_id", "sync_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    transacted_on: Mapped[date]
    value_date: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(Text)
    counterparty: Mapped[str | None] = mapped_column(String(300))
    counterparty_account: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(200))
    variable_symbol: Mapped[str | None] = mapped_column(String(10))
    vs_normalized: Mapped[str | None] = mapped_column(
        String(10), comment="variable symbol without leading zeros, for matching"
    )
    constant_symbol: Mapped[str | None] = mapped_column(String(10))
    specific_symbol: Mapped[str | None] = mapped_column(String(10))
    account_ref: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[UUID | None] = mapped_column(ForeignKey("accounts.id"))
    category: Mapped[str | None] = mapped_column(String(100))
    category_set_by: Mapped[str | None] = mapped_column(
        String(10), comment="user or rule; rules never overwrite a user's category"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(
        String(12), server_default="entry", comment="entry, adjustment or reversal"
    )
    adjusts_id: Mapped[UUID | None] = mapped_column(ForeignKey("transactions.id"))
    raw_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sync_id: Mapped[UUID | None] = mapped_column(
        comment="the integrations sync run that imported it; null if entered here"
    )
    recorded_by: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="the actor who entered or corrected it by hand, or the bank that restated it"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountDay(Base):
    """What one account's booked money came to on one day, per currency.

    Kept up to date in the transaction of every booking (``db/day_totals.py``), so that a
    balance sums an account's days, never all of its transactions. Entries are never edited
    or deleted (corrections are entries of their own), so adding is all it takes.
    """

    __tablename__ = "account_days"
    __table_args__ = (Index("ix_account_days_workspace", "workspace_id", "account_id", "day"),)

    account_id: Mapped[UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    workspace_id: Mapped[UUID]
    income: Mapped[Decimal] = mapped_column(MoneyTotal)
    expense: Mapped[Decimal] = mapped_column(MoneyTotal)


class FlowDay(Base):
    """What a workspace's booked money in one direction and category came to on one day.

    The cash-flow report's rows, kept with every booking and every change of category
    (``db/day_totals.py``). ``category`` is empty for uncategorized money.
    """

    __tablename__ = "flow_days"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    type: Mapped[str] = mapped_column(String(10), primary_key=True)
    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    total: Mapped[Decimal] = mapped_column(MoneyTotal)


class Invoice(Base):
    """The ledger's read model of invoicing's invoices, built from invoicing events.

    Events may arrive in any order, so a cancellation or payment can be known before the
    issue: the details are then filled in when ``invoicing.invoice.issued`` arrives.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_workspace_vs", "workspace_id", "vs_normalized"),
        Index("ix_invoices_workspace_currency", "workspace_id", "currency"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, comment="invoicing's invoice id")
    workspace_id: Mapped[UUID]
    number: Mapped[str] = mapped_column(String(100))
    variable_symbol: Mapped[str | None] = mapped_column(String(10))
    vs_normalized: Mapped[str | None] = mapped_column(String(10))
    client_id: Mapped[UUID | None]
    client_name: Mapped[str | None] = mapped_column(String(300))
    total: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    issue_date: Mapped[date | None]
    due_date: Mapped[date | None]
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentMatch(Base):
    """Money of one transaction applied to one invoice. Unmatching keeps the row as history."""

    __tablename__ = "payment_matches"
    __table_args__ = (
        Index("ix_payment_matches_transaction", "workspace_id", "transaction_id"),
        Index("ix_payment_matches_invoice", "workspace_id", "invoice_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    transaction_id: Mapped[UUID] = mapped_column(ForeignKey("transactions.id"))
    invoice_id: Mapped[UUID]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(30))
    paid_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    unmatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MatchSuggestion(Base):
    """A possible payment the ledger is not sure about, waiting for a user's decision.

    One row per (transaction, invoice) pair ever suggested: a rejected pair keeps its row, so
    it is never suggested again.
    """

    __tablename__ = "match_suggestions"
    __table_args__ = (UniqueConstraint("workspace_id", "transaction_id", "invoice_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    transaction_id: Mapped[UUID] = mapped_column(ForeignKey("transactions.id"))
    invoice_id: Mapped[UUID]
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), comment="pending, accepted, rejected")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Category(Base):
    """A name transactions are grouped under in reports."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CategoryRule(Base):
    """Conditions that put an imported transaction into a category."""

    __tablename__ = "category_rules"
    __table_args__ = (Index("ix_category_rules_workspace", "workspace_id", "priority", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    category_id: Mapped[UUID] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[int]
    counterparty_contains: Mapped[str | None] = mapped_column(String(200))
    description_contains: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str | None] = mapped_column(String(10))
    currency: Mapped[str | None] = mapped_column(String(3))
    min_amount: Mapped[Decimal | None] = mapped_column(Money)
    max_amount: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Loan(Base):
    """Money owed and repaid in equal monthly installments (annuity)."""

    __tablename__ = "loans"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    principal: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate: Mapped[Decimal] = mapped_column(Money, comment="percent per year, e.g. 5.9")
    term_months: Mapped[int]
    first_due: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LoanPayment(Base):
    """A booked transaction that paid one installment of a loan."""

    __tablename__ = "loan_payments"
    __table_args__ = (
        UniqueConstraint("loan_id", "installment"),
        UniqueConstraint("transaction_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    loan_id: Mapped[UUID] = mapped_column(ForeignKey("loans.id"))
    installment: Mapped[int]
    transaction_id: Mapped[UUID] = mapped_column(ForeignKey("transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Holding(Base):
    """Something owned (an asset) or owed outside loans (a liability), valued over time."""

    __tablename__ = "holdings"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID] = mapped_column(index=True)
    side: Mapped[str] = mapped_column(String(10), comment="asset or liability")
    kind: Mapped[str] = mapped_column(
        String(20),
        comment="assets: property, vehicle, investment, other; liabilities: credit_card, other",
    )
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_on: Mapped[date | None] = mapped_column(
        comment="sold, paid off or written off: from this day on it no longer counts"
    )
    close_reason: Mapped[str | None] = mapped_column(String(500))


class HoldingValue(Base):
    """What a holding was worth (or, for a liability, how much was owed) on a day."""

    __tablename__ = "holding_values"
    __table_args__ = (UniqueConstraint("holding_id", "valued_on"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    holding_id: Mapped[UUID] = mapped_column(ForeignKey("holdings.id"))
    valued_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata
