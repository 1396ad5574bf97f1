"""Composition root of the integrations service."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from kasa_integrations import __version__, redaction
from kasa_integrations.api import imports, plugins, syncs
from kasa_integrations.credentials import CredentialVault, load_keys
from kasa_integrations.db.tables import metadata
from kasa_integrations.plugins import registry
from kasa_integrations.settings import IntegrationsSettings
from kasa_integrations.sync_engine import STALE_AFTER, fail_interrupted_syncs
from kasa_servicekit.service import Runtime, ServiceSpec, create_app


async def recover_interrupted_syncs(runtime: Runtime) -> None:
    while True:
        await fail_interrupted_syncs(runtime.db)
        await asyncio.sleep(STALE_AFTER.total_seconds() / 2)


async def redact_secrets_in_logs(runtime: Runtime) -> None:
    redaction.install()


def vault_for(settings: IntegrationsSettings) -> CredentialVault:
    keys = load_keys(
        settings.credentials_keys,
        settings.credentials_key_file,
        generate=settings.env != "production",
    )
    return CredentialVault(keys)


def build() -> ServiceSpec:
    settings = IntegrationsSettings()
    vault = vault_for(settings)
    plugin_registry = registry(settings.fio_api_base_url)

    def configure(app: FastAPI) -> None:
        app.state.plugins = plugin_registry
        app.state.vault = vault

    return ServiceSpec(
        name="integrations",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[plugins.router, syncs.router, imports.router],
        on_startup=[redact_secrets_in_logs],
        background=[recover_interrupted_syncs],
        configure_app=configure,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_integrations.main:app``."""
    return create_app(build())


def main() -> None:
    from kasa_integrations.cli import main as cli_main

    cli_main()
