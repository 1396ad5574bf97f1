"""Audit configuration."""

from kasa_servicekit.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit"
