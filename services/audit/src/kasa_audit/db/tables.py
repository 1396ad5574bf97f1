"""The audit trail and the permanent archive of every event."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ArchivedEvent(Base):
    """An event envelope exactly as it was published."""

    __tablename__ = "event_archive"
    __table_args__ = (Index("ix_event_archive_occurred", "occurred_at", "event_id"),)

    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    routing_key: Mapped[str] = mapped_column(String(200))
    workspace_id: Mapped[UUID]
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who changed what, from which source, when and as part of which chain."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_workspace_id", "workspace_id", "id"),
        Index("ix_audit_entries_entity", "workspace_id", "entity_type", "entity_id"),
        Index("ix_audit_entries_correlation", "workspace_id", "correlation_id"),
        Index("ix_audit_entries_event_type", "workspace_id", "event_type", "id"),
        Index("ix_audit_entries_chain", "workspace_id", "seq", unique=True),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    event_id: Mapped[UUID] = mapped_column(unique=True)
    workspace_id: Mapped[UUID]
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_type: Mapped[str] = mapped_column(String(200))
    event_version: Mapped[int]
    service: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_plugin: Mapped[str | None] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    correlation_id: Mapped[str | None] = mapped_column(String(200))
    causation_id: Mapped[UUID | None]
    trace_id: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    """Position in the workspace's hash chain, from 1 without gaps."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    """sha256 over ``prev_hash`` and the canonical encoding of the entry (domain/chain.py)."""


class ChainHead(Base):
    """The last link of a workspace's hash chain.

    Writers lock this row while they append, so entries of one workspace are chained one
    after another while other workspaces proceed in parallel.
    """

    __tablename__ = "chain_heads"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class ChainAnchor(Base):
    """The last chain head of a workspace published as an anchor (``audit.chain.anchored``).

    Only tells the anchoring job what has moved since; the anchor that counts is the published
    message, which lives outside this database.
    """

    __tablename__ = "chain_anchors"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    anchored_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata
