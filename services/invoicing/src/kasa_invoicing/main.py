"""Composition root of the invoicing service: its routes and its one queue."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing import __version__
from kasa_invoicing.api import (
    clients,
    dashboard,
    errors,
    invoice_pdf,
    invoices,
    log_redaction,
    payment_qr,
    portal,
    projects,
    sharing,
    supplier,
    timer,
    work_entries,
)
from kasa_invoicing.consumers import payment_matched, payment_unmatched
from kasa_invoicing.db.tables import metadata
from kasa_invoicing.settings import InvoicingSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.service import ServiceSpec, create_app

# One queue for both, so a match and its unmatch are handled in the order they arrive.
PAYMENTS = Subscription.of(
    "invoicing.payments",
    {PaymentMatched: payment_matched.handle, PaymentUnmatched: payment_unmatched.handle},
)


def configure(app: FastAPI) -> None:
    """Problems for domain errors, the portal's view limits, portal tokens out of the logs."""
    errors.install(app)
    portal.install(app)
    log_redaction.install()


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
        subscriptions=[PAYMENTS],
        configure_app=configure,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_invoicing.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
