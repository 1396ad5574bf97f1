"""Composition root of the ledger service: its routes, its queues, their handlers."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.integrations import TransactionImported, TransactionUpdated
from kasa_contracts.events.invoicing import InvoiceCancelled, InvoiceIssued, InvoicePaid
from kasa_ledger import __version__
from kasa_ledger.api import (
    accounts,
    categories,
    corrections,
    errors,
    holdings,
    loans,
    matches,
    projection_rebuild,
    reports,
    transactions,
)
from kasa_ledger.consumers import (
    bank_batches,
    invoice_cancelled,
    invoice_issued,
    invoice_paid,
    transaction_imported,
    transaction_updated,
)
from kasa_ledger.db.tables import metadata
from kasa_ledger.settings import LedgerSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.service import ServiceSpec, create_app


def subscriptions(settings: LedgerSettings) -> list[Subscription]:
    """The ledger's queues and the handler of each event they carry."""
    return [
        # A large sync's bank events are booked together, LEDGER_BATCH_SIZE per transaction.
        Subscription.of(
            "ledger.transactions",
            {
                TransactionImported: transaction_imported.handle,
                TransactionUpdated: transaction_updated.handle,
            },
            batch_size=settings.batch_size,
            batch_handler=bank_batches.handle_batch,
        ),
        Subscription.of(
            "ledger.invoices",
            {
                InvoiceIssued: invoice_issued.handle,
                InvoiceCancelled: invoice_cancelled.handle,
                InvoicePaid: invoice_paid.handle,
            },
        ),
    ]


def build() -> ServiceSpec:
    settings = LedgerSettings()
    return ServiceSpec(
        name="ledger",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[
            transactions.router,
            corrections.router,
            matches.router,
            accounts.router,
            categories.router,
            loans.router,
            reports.router,
            holdings.assets,
            holdings.liabilities,
            projection_rebuild.router,
        ],
        subscriptions=subscriptions(settings),
        configure_app=errors.install,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_ledger.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
