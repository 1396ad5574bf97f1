"""The integrations service's own tables: sync history and what each plugin has imported."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kasa_servicekit.db import UtcDateTime
from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Sync(Base):
    """One run of one plugin for one workspace, with its outcome."""

    __tablename__ = "syncs"
    __table_args__ = (
        Index("ix_syncs_workspace_created", "workspace_id", "created_at", "id"),
        # At most one active sync per workspace and plugin, even under concurrent requests.
        Index(
            "uq_syncs_one_active",
            "workspace_id",
            "plugin",
            unique=True,
            postgresql_where=text("status IN ('pending', 'running')"),
            sqlite_where=text("status IN ('pending', 'running')"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    plugin: Mapped[str] = mapped_column(String(64))
    plugin_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    records_processed: Mapped[int] = mapped_column(Integer, default=0)
    records_created: Mapped[int] = mapped_column(Integer, default=0)
    records_updated: Mapped[int] = mapped_column(Integer, default=0)
    records_skipped: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_backtrace: Mapped[str | None] = mapped_column(Text)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(64))
    request_event_id: Mapped[UUID | None]
    """The event of the user's request: the cause the run's events name."""
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    """The worker that claimed the run; only it may commit the run's pages and outcome."""
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """Until when the worker's claim holds; the worker renews it with every heartbeat."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times a worker has claimed the run (a resumed run is claimed again)."""


class SyncUpload(Base):
    """The uploaded file a sync reads, kept until the sync ends so any worker can run it."""

    __tablename__ = "sync_uploads"

    sync_id: Mapped[UUID] = mapped_column(primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportedRecord(Base):
    """A provider transaction this workspace has already imported, with its content hash."""

    __tablename__ = "imported_records"
    __table_args__ = (UniqueConstraint("workspace_id", "plugin", "external_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    plugin: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sync_id: Mapped[UUID]
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The normalized transaction as last imported (without the raw record), to name changes."""
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PluginConfig(Base):
    """One workspace's configuration of one plugin; credentials only as ciphertext."""

    __tablename__ = "plugin_configs"
    __table_args__ = (UniqueConstraint("workspace_id", "plugin"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[UUID]
    plugin: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials_ciphertext: Mapped[str | None] = mapped_column(Text)
    credentials_set: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class PluginState(Base):
    """A plugin's persisted cursor for one workspace, saved with every committed batch."""

    __tablename__ = "plugin_states"

    workspace_id: Mapped[UUID] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata
