"""Composition root of the invoicing service: its routes and its one queue."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.ledger import PaymentMatched, PaymentUnmatched
from kasa_invoicing import __version__
from kasa_invoicing.api import (
    clients,
    dashboard,
    errors,
    invoice_mail,
    invoice_pdf,
    invoices,
    log_redaction,
    payment_qr,
    portal,
    projects,
    reminders,
    sharing,
    supplier,
    timer,
    work_entries,
)
from kasa_invoicing.app import reminders as reminders_app
from kasa_invoicing.app.invoice_mail import invoice_mail_of
from kasa_invoicing.consumers import payment_matched, payment_unmatched
from kasa_invoicing.db.tables import metadata
from kasa_invoicing.settings import InvoicingSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.leases import PeriodicJob
from kasa_servicekit.service import Runtime, ServiceSpec, create_app

# One queue for both, so a match and its unmatch are handled in the order they arrive.
PAYMENTS = Subscription.of(
    "invoicing.payments",
    {PaymentMatched: payment_matched.handle, PaymentUnmatched: payment_unmatched.handle},
)


MAIL = Path(__file__).parent / "mail"
"""Invoices and overdue reminders, as mail to clients."""


def configure(app: FastAPI) -> None:
    """Problems for domain errors, the portal's view limits, portal tokens out of the logs."""
    errors.install(app)
    portal.install(app)
    log_redaction.install()
    app.include_router(reminders.ops_router)


def build() -> ServiceSpec:
    settings = InvoicingSettings()
    mail = invoice_mail_of(settings, MAIL)

    def configure_with_mail(app: FastAPI) -> None:
        configure(app)
        app.state.invoice_mail = mail

    async def reminder_pass(runtime: Runtime) -> None:
        await reminders_app.remind_today(runtime, mail)

    return ServiceSpec(
        name="invoicing",
        version=__version__,
        settings=settings,
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
            invoice_mail.router,
            reminders.router,
            sharing.router,
            portal.router,
            dashboard.router,
        ],
        subscriptions=[PAYMENTS],
        configure_app=configure_with_mail,
        periodic=[
            PeriodicJob(
                "invoicing.reminders",
                settings.reminder_interval_seconds,
                reminder_pass,
                at_start=True,
            )
        ],
        sends_mail=True,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_invoicing.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
