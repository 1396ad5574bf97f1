"""Audit configuration."""

from pydantic import Field

from kasa_servicekit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit"
    batch_size: int = Field(
        default=500,
        ge=1,
        le=1000,
        validation_alias="AUDIT_BATCH_SIZE",
        description="Events applied per transaction at most (1: one by one)",
    )
    anchor_seconds: float = Field(
        default=300,
        gt=0,
        validation_alias="AUDIT_ANCHOR_SECONDS",
        description="How often moved chain heads are published as anchors outside the database",
    )
    anchor_refresh_hours: float = Field(
        default=24,
        gt=0,
        validation_alias="AUDIT_ANCHOR_REFRESH_HOURS",
        description="Anchor an unmoved head again after this long; keep it well below the "
        "archive stream's maximum age (EVENT_ARCHIVE_MAX_AGE)",
    )
