"""Time-ordered identifiers: rows and events sort by creation without a sequence."""

from uuid import UUID

import uuid6


def new_id() -> UUID:
    """A new UUIDv7."""
    return UUID(bytes=uuid6.uuid7().bytes)
