"""Composition root of the invoicing service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_invoicing import __version__
from kasa_invoicing.db.tables import metadata
from kasa_invoicing.settings import InvoicingSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.service import ServiceSpec, create_app


def build() -> ServiceSpec:
    return ServiceSpec(
        name="invoicing",
        version=__version__,
        settings=InvoicingSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_invoicing.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
