"""Composition root of the ledger service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.integrations import TransactionImported
from kasa_ledger import __version__
from kasa_ledger.api import transactions
from kasa_ledger.consumers import transaction_imported
from kasa_ledger.db.tables import metadata
from kasa_ledger.settings import LedgerSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.service import ServiceSpec, create_app

SUBSCRIPTIONS = [
    Subscription(
        "ledger.transactions", (TransactionImported.routing_key(),), transaction_imported.handle
    ),
]


def build() -> ServiceSpec:
    return ServiceSpec(
        name="ledger",
        version=__version__,
        settings=LedgerSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[transactions.router],
        subscriptions=SUBSCRIPTIONS,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_ledger.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
