"""Composition root of the invoicing service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing import __version__
from kasa_invoicing.api import (
    clients,
    dashboard,
    invoice_pdf,
    invoices,
    payment_qr,
    portal,
    projects,
    sharing,
    supplier,
    timer,
    work_entries,
)
from kasa_invoicing.consumers import by_routing_key, payment_matched, payment_unmatched
from kasa_invoicing.db.tables import metadata
from kasa_invoicing.settings import InvoicingSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.service import ServiceSpec, create_app

PAYMENT_HANDLERS = {
    PaymentMatched.routing_key(): payment_matched.handle,
    PaymentUnmatched.routing_key(): payment_unmatched.handle,
}

SUBSCRIPTIONS = [
    # One queue for both, so a match and its unmatch are handled in the order they arrive.
    Subscription("invoicing.payments", tuple(PAYMENT_HANDLERS), by_routing_key(PAYMENT_HANDLERS)),
]


def build() -> ServiceSpec:
    return ServiceSpec(
        name="invoicing",
        version=__version__,
        settings=InvoicingSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[
            supplier.router,
            clients.router,
            projects.router,
            work_entries.router,
            timer.router,
            invoices.router,
            payment_qr.router,
            invoice_pdf.router,
            sharing.router,
            portal.router,
            dashboard.router,
        ],
        subscriptions=SUBSCRIPTIONS,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_invoicing.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
