"""Composition root of the integrations service."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from kasa_integrations import __version__
from kasa_integrations.api import syncs
from kasa_integrations.db.tables import metadata
from kasa_integrations.settings import IntegrationsSettings
from kasa_integrations.sync_engine import STALE_AFTER, fail_interrupted_syncs
from kasa_servicekit.cli import service_main
from kasa_servicekit.service import Runtime, ServiceSpec, create_app


async def recover_interrupted_syncs(runtime: Runtime) -> None:
    while True:
        await fail_interrupted_syncs(runtime.db)
        await asyncio.sleep(STALE_AFTER.total_seconds() / 2)


def build() -> ServiceSpec:
    return ServiceSpec(
        name="integrations",
        version=__version__,
        settings=IntegrationsSettings(),
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[syncs.router],
        background=[recover_interrupted_syncs],
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_integrations.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
