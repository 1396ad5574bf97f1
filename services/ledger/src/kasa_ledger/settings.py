"""Ledger configuration."""

from pydantic import Field

from kasa_servicekit.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service_name: str = "ledger"
    batch_size: int = Field(
        default=500,
        ge=1,
        le=1000,
        validation_alias="LEDGER_BATCH_SIZE",
        description="Bank events booked per transaction at most (1: one by one)",
    )
