"""Composition root of the integrations service."""

from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.integrations import SyncRequested
from kasa_integrations import __version__
from kasa_integrations.api import errors, imports, plugins, syncs
from kasa_integrations.app.sync_recovery import sweep
from kasa_integrations.app.sync_run import SyncWorker
from kasa_integrations.app.uploads import UploadGate
from kasa_integrations.commands import rotate_credentials
from kasa_integrations.consumers import sync_requested
from kasa_integrations.db.tables import metadata
from kasa_integrations.db.unit_of_work import transactions
from kasa_integrations.plugins import registry
from kasa_integrations.security import redaction
from kasa_integrations.security.credentials import vault_for
from kasa_integrations.settings import IntegrationsSettings
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import Subscription
from kasa_servicekit.leases import PeriodicJob
from kasa_servicekit.service import Runtime, ServiceSpec, create_app


async def redact_secrets_in_logs(runtime: Runtime) -> None:
    redaction.install()


def build() -> ServiceSpec:
    settings = IntegrationsSettings()
    vault = vault_for(settings)
    plugin_registry = registry(
        settings.fio_api_base_url,
        demo=settings.demo_plugin,
        demo_max_count=settings.demo_plugin_max_count,
    )
    uploads = UploadGate(settings.upload_rate_per_minute, settings.upload_checks_at_once)
    worker = SyncWorker(
        plugin_registry,
        vault,
        lease_s=settings.sync_lease_seconds,
        max_attempts=settings.sync_max_attempts,
        pickup_after_s=settings.sync_pickup_after_seconds,
    )

    async def attach_worker(runtime: Runtime) -> None:
        worker.attach(transactions(runtime.db), runtime.events, runtime.spawn)

    async def recover_syncs(runtime: Runtime) -> None:
        await sweep(worker)

    def configure(app: FastAPI) -> None:
        app.state.plugins = plugin_registry
        app.state.vault = vault
        app.state.uploads = uploads
        app.state.sync_worker = worker
        errors.install(app)

    return ServiceSpec(
        name="integrations",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        routers=[plugins.router, syncs.router, imports.router],
        subscriptions=[
            Subscription.of(
                "integrations.sync_runs", {SyncRequested: sync_requested.handler(worker)}
            ),
        ],
        on_startup=[redact_secrets_in_logs, attach_worker],
        # At start (what a restarted replica left behind), then every half lease.
        periodic=[
            PeriodicJob(
                "integrations.sync-sweep",
                worker.lease.total_seconds() / 2,
                recover_syncs,
                at_start=True,
            )
        ],
        configure_app=configure,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_integrations.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build, commands=[rotate_credentials.COMMAND])
