"""What the sync routes and the import route answer with."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasa_integrations.db.tables import Sync


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="How many transactions the demo bank makes; more than its cap "
        "(DEMO_PLUGIN_MAX_COUNT, at most 100,000) is cut to the cap",
    )
    offset: int | None = Field(
        default=None,
        ge=0,
        le=9_900_000,
        description="The demo bank's first transaction: runs with different offsets bring "
        "different transactions, runs with the same offset the same ones again",
    )
    date_from: date | None = Field(
        default=None, description="First booking date to read (default: the plugin's cursor)"
    )
    date_to: date | None = Field(default=None, description="Last booking date (default: today)")

    @model_validator(mode="after")
    def _window_in_order(self) -> "SyncRequest":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class SyncAccepted(BaseModel):
    id: UUID
    status: str


class SyncOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    plugin: str
    plugin_version: str
    status: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_s: float | None
    records_processed: int
    records_created: int
    records_updated: int
    records_skipped: int
    error_message: str | None = Field(
        description="Why the sync failed, in a sentence; the backtrace is kept for operators"
    )
    cancel_requested: bool
    metadata: dict[str, Any]

    @classmethod
    def of(cls, sync: Sync) -> "SyncOut":
        duration = (
            (sync.completed_at - sync.started_at).total_seconds()
            if sync.completed_at and sync.started_at
            else None
        )
        return cls.model_validate(
            {
                **{c: getattr(sync, c) for c in _COLUMNS},
                "duration_s": duration,
                "cancel_requested": sync.cancel_requested_at is not None,
                "metadata": sync.details or {},
            }
        )


_COLUMNS = [
    name
    for name in SyncOut.model_fields
    if name not in ("duration_s", "metadata", "cancel_requested")
]
