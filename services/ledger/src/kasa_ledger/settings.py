"""Ledger configuration."""

from kasa_servicekit.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service_name: str = "ledger"
