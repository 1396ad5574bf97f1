"""Composition root of the audit service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_audit import __version__
from kasa_audit.api import (
    audit_events,
    audit_export,
    audit_verify,
    chain_anchors,
    event_archive,
)
from kasa_audit.app.chain_anchors import anchor_once
from kasa_audit.consumers import every_event
from kasa_audit.db.tables import metadata
from kasa_audit.settings import AuditSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.leases import PeriodicJob
from kasa_servicekit.service import ServiceSpec, create_app


def build() -> ServiceSpec:
    settings = AuditSettings()
    return ServiceSpec(
        name="audit",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[
            audit_verify.router,
            audit_verify.ops_router,
            chain_anchors.router,
            chain_anchors.ops_router,
            audit_export.router,
            audit_events.router,
            event_archive.router,
        ],
        subscriptions=[
            # Audit receives every event: what is already delivered is applied in batches.
            Subscription.every_event(
                "audit.all",
                every_event.handle,
                parse=every_event.parse,
                batch_size=settings.batch_size,
                batch_handler=every_event.handle_batch,
            ),
        ],
        periodic=[PeriodicJob("audit.chain-anchors", settings.anchor_seconds, anchor_once)],
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_audit.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
