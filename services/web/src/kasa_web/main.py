"""Composition root of the web application: its pages, its assets, its one API client."""

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.logs import configure_logging
from kasa_servicekit.service import RequestContext
from kasa_servicekit.tracing import configure_tracing
from kasa_web import __version__
from kasa_web.api_client import Api
from kasa_web.errors import install_error_pages
from kasa_web.pages import (
    accounts,
    audit,
    auth,
    bank,
    clients,
    dashboard,
    email_addresses,
    health,
    holdings,
    invitations,
    invoice_mail,
    invoices,
    loans,
    matching,
    operator,
    operator_mail,
    preferences,
    profile,
    reports,
    supplier,
    time,
    transactions,
    workspace_admin,
)
from kasa_web.security_headers import PageSecurityHeaders
from kasa_web.settings import PACKAGE, WebSettings
from kasa_web.viewer import Profiles

ROUTERS = [
    health.router,
    auth.router,
    invitations.router,
    preferences.router,
    dashboard.router,
    profile.router,
    email_addresses.router,
    time.router,
    clients.router,
    invoice_mail.router,
    invoices.router,
    supplier.router,
    bank.router,
    transactions.router,
    matching.router,
    accounts.router,
    holdings.router,
    loans.router,
    reports.router,
    audit.router,
    workspace_admin.router,
    operator.router,
    operator_mail.router,
]


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    configure_logging("web", settings.log_level, settings.log_format)
    configure_tracing("web", settings.otel_exporter)
    api = Api(settings.gateway_url, settings.api_timeout_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await api.close()

    app = FastAPI(
        title="Kasa web",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.api = api
    app.state.profiles = Profiles()
    app.state.verifier = JwksVerifier(settings.jwks_url, settings.jwt_issuer, settings.jwt_audience)
    vendor = settings.vendor_dir
    app.mount("/static/vendor/htmx", StaticFiles(directory=vendor / "htmx.org" / "dist"))
    app.mount("/static/vendor/pico", StaticFiles(directory=vendor / "@picocss" / "pico" / "css"))
    # The gateway's API docs page loads Swagger UI from here, never from a CDN. Not checked at
    # start: the pages work without it.
    swagger = StaticFiles(directory=vendor / "swagger-ui-dist", check_dir=False)
    app.mount("/static/vendor/swagger-ui", swagger)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_error_pages(app)
    app.add_middleware(PageSecurityHeaders)
    app.add_middleware(RequestContext)
    return app


def main() -> None:
    """``kasa-web serve``: the web owns no database, so there is nothing to migrate."""
    parser = argparse.ArgumentParser(description="Run the Kasa web application")
    parser.add_argument("command", choices=["serve"], nargs="?", default="serve")
    parser.parse_args()
    try:
        settings = WebSettings()
    except ValidationError as exc:
        print(f"invalid configuration:\n{exc}", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=75,
    )
