"""Invoicing configuration."""

from pydantic import Field

from kasa_servicekit.settings import ServiceSettings


class InvoicingSettings(ServiceSettings):
    service_name: str = "invoicing"
    public_url: str | None = Field(
        default=None,
        validation_alias="PUBLIC_URL",
        description="Where people reach the gateway (the gateway's PUBLIC_URL); client-portal "
        "links are absolute with it and relative (/portal/…) without it",
    )
    portal_link_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        validation_alias="PORTAL_LINK_DAYS",
        description="Days a client-portal link works when it is made without expires_in_days; "
        "also how long a link made before links expired by default keeps working",
    )
    portal_views_per_link: int = Field(
        default=30,
        ge=1,
        validation_alias="PORTAL_VIEWS_PER_MINUTE_PER_LINK",
        description="Portal views (page or PDF) one link answers per minute, per instance",
    )
    portal_views_per_address: int = Field(
        default=120,
        ge=1,
        validation_alias="PORTAL_VIEWS_PER_MINUTE_PER_ADDRESS",
        description="Portal views one client address gets per minute, whatever the link, "
        "per instance",
    )
    reminder_interval_seconds: int = Field(
        default=3600,
        ge=0,
        validation_alias="REMINDER_INTERVAL_SECONDS",
        description="How often the overdue-reminder pass runs; 0 runs it only when an "
        "operator asks (POST /ops/reminders/run)",
    )
