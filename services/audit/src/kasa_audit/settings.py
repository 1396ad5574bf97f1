"""Audit configuration."""

from pydantic import Field

from kasa_servicekit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit"
    batch_size: int = Field(
        default=200,
        ge=1,
        le=1000,
        validation_alias="AUDIT_BATCH_SIZE",
        description="Events applied per transaction at most (1: one by one)",
    )
