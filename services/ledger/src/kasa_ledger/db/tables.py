"""The ledger's own tables."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import Money, UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Transaction(Base):
    """A booked money movement, imported from a bank or entered by hand."""

    __tablename__ = "transactions"
    __table_args__ = (
        # The natural key of imported money: the same bank movement is never booked twice,
        # whatever the inbox says.
        UniqueConstraint("workspace_id", "source", "external_id"),
        Index("ix_transactions_workspace_date", "workspace_id", "transacted_on", "id"),
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
    constant_symbol: Mapped[str | None] = mapped_column(String(10))
    specific_symbol: Mapped[str | None] = mapped_column(String(10))
    account_ref: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    raw_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata
