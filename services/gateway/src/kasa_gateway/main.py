"""Composition root of the gateway."""

from pathlib import Path

from fastapi import FastAPI

from kasa_gateway import __version__
from kasa_gateway.api import auth, me, proxy
from kasa_gateway.db.tables import metadata
from kasa_gateway.routes import upstream_urls
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.signing_keys import load_or_create
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.cli import service_main
from kasa_servicekit.service import ServiceSpec, create_app


def build() -> ServiceSpec:
    settings = GatewaySettings()

    def configure(app: FastAPI) -> None:
        key = load_or_create(settings.signing_key_file, create=settings.env != "production")
        app.state.signing_key = key
        app.state.verifier = JwksVerifier.with_keys(
            [key.public_jwk], settings.jwt_issuer, settings.jwt_audience
        )
        app.state.upstream = proxy.create_upstream_client(settings.upstream_timeout_s)
        app.state.upstream_urls = upstream_urls(settings)

    return ServiceSpec(
        name="gateway",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        # Local routes first: the proxy's catch-all must not shadow them.
        routers=[auth.router, me.router, proxy.router],
        configure_app=configure,
    )


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_gateway.main:app``."""
    return create_app(build())


def main() -> None:
    service_main(build)
