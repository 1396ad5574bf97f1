"""Invoicing configuration."""

from kasa_servicekit.settings import ServiceSettings


class InvoicingSettings(ServiceSettings):
    service_name: str = "invoicing"
