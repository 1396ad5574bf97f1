"""Composition root of the audit service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_audit import __version__
from kasa_audit.api import audit_events
from kasa_audit.consumers import every_event
from kasa_audit.db.tables import metadata
from kasa_audit.settings import AuditSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.service import ServiceSpec, create_app

SUBSCRIPTIONS = [
    Subscription("audit.all", ("#",), every_event.handle, parse=every_event.parse),
]


def build() -> ServiceSpec:
    return ServiceSpec(
        name="audit",
        version=__version__,
        settings=AuditSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[audit_events.router],
        subscriptions=SUBSCRIPTIONS,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_audit.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
