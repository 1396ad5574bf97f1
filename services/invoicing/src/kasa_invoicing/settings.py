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
