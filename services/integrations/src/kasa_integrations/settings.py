"""Integrations configuration."""

from kasa_servicekit.settings import ServiceSettings


class IntegrationsSettings(ServiceSettings):
    service_name: str = "integrations"
