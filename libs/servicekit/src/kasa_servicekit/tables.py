"""Tables every service has in its own database: the outbox and the inbox.

A service's migrations include this metadata next to its own (see ``migrations.py``).
"""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, Uuid, text
from sqlalchemy.types import JSON

from kasa_servicekit.db import UtcDateTime

kit_metadata = MetaData()

outbox = Table(
    "outbox",
    kit_metadata,
    Column("id", Uuid, primary_key=True, comment="event_id, also the AMQP message_id"),
    Column("routing_key", String(200), nullable=False),
    Column("workspace_id", Uuid, nullable=False),
    Column("body", Text, nullable=False, comment="the envelope exactly as it is published"),
    Column("correlation_id", String(200), nullable=True),
    Column("headers", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    Column("claimed_until", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
    Index("ix_outbox_published_at", "published_at"),
)

inbox = Table(
    "inbox",
    kit_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("processed_at", UtcDateTime, nullable=False),
)
