"""Composition root of the gateway."""

import os
from pathlib import Path

from fastapi import FastAPI

from kasa_contracts.events.identity import PasswordReset, UserLockedOut
from kasa_contracts.events.integrations import PluginConfigured
from kasa_contracts.events.invoicing import SupplierProfileUpdated
from kasa_gateway import __version__
from kasa_gateway.api import (
    auth,
    email_addresses,
    invitations,
    me,
    member_sessions,
    openapi,
    operator,
    password_resets,
    proxy,
    rate_limits,
    web_sessions,
    workspaces,
    ws,
)
from kasa_gateway.api.errors import install_problems
from kasa_gateway.api.readiness import install_readiness
from kasa_gateway.app import revocations
from kasa_gateway.app.email_addresses import AddressMail
from kasa_gateway.app.invitations import InvitationMail
from kasa_gateway.app.security_notices import SecurityNotices
from kasa_gateway.commands import operator_role
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.db.rate_limits import SharedRateLimiter, sweep_ended
from kasa_gateway.db.tables import metadata
from kasa_gateway.domain.client_address import parse_networks
from kasa_gateway.domain.rate_limits import Limiters
from kasa_gateway.guards.api_rate_limit import ApiRateLimit
from kasa_gateway.guards.body_limit import BodySizeLimit
from kasa_gateway.guards.cookie_sessions import CookieNames, CookieSessions
from kasa_gateway.guards.security_headers import SecurityHeaders
from kasa_gateway.guards.sign_in_origin import SignInOrigin
from kasa_gateway.push import log_redaction
from kasa_gateway.push.hub import PUSHED_EVENTS, Hub, parse_pushed
from kasa_gateway.settings import GatewaySettings
from kasa_gateway.tokens.client_address import ClientAddresses
from kasa_gateway.tokens.signing_keys import load_key_ring
from kasa_gateway.tokens.web_sessions import WebSessions
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.cli import service_main
from kasa_servicekit.consumers import InstanceSubscription, Subscription
from kasa_servicekit.leases import PeriodicJob
from kasa_servicekit.mail_templates import MailTemplates
from kasa_servicekit.revocations import RevokedSessions
from kasa_servicekit.service import Runtime, ServiceSpec, create_app

MAIL = Path(__file__).parent / "mail"
"""The gateway's mail: password resets, address verification, invitations and notices."""

API_LEASE = 32
"""At most this many hits of a user's API budget an instance claims at once (see
``SharedRateLimiter``): a statement per 32 requests of a busy client instead of one per
request, and at most 32 hits a window lost per instance the client leaves."""


def build() -> ServiceSpec:
    settings = GatewaySettings()
    hub = Hub()
    apps: list[FastAPI] = []
    # One set of templates (their catalogs compile once) for the routes and the notices.
    mail = MailTemplates(MAIL, settings.public_url)
    notices = SecurityNotices(mail)

    def configure(app: FastAPI) -> None:
        apps.append(app)
        app.state.hub = hub
        configure_tokens(app, settings, mail)
        configure_routing(app, settings)
        install_problems(app)
        log_redaction.install()  # a socket's URL may carry its token
        configure_guards(app, settings)

    async def upstream_clients(_runtime: Runtime) -> None:
        await proxy.keep_until_shutdown(apps[-1])

    async def rate_limit_windows(runtime: Runtime) -> None:
        await sweep_ended(runtime.db)

    return ServiceSpec(
        name="gateway",
        version=__version__,
        settings=settings,
        metadata=metadata,
        migrations=Path(__file__).parent / "db" / "migrations",
        # Proxied resources first (they match only names the services own, and most requests
        # are proxied), then the gateway's own routes, then the 404 for any other API name,
        # and last the web application's pages for every other path.
        routers=[
            proxy.router,
            auth.router,
            password_resets.router,
            email_addresses.router,
            web_sessions.router,
            me.router,
            workspaces.router,
            invitations.router,
            member_sessions.router,
            rate_limits.router,
            operator.router,
            openapi.router,
            ws.router,
            proxy.unknown_resources,
            proxy.pages,
        ],
        # Every gateway instance needs every pushed event for its own clients: its own queue.
        subscriptions=[
            InstanceSubscription("gateway.push", PUSHED_EVENTS, hub.publish, parse_pushed),
            # The owners hear of changes an intruder would make (ADR 0025).
            Subscription.of(
                "gateway.notices",
                {
                    SupplierProfileUpdated: notices.supplier_profile_updated,
                    PluginConfigured: notices.plugin_configured,
                    UserLockedOut: notices.user_locked_out,
                    PasswordReset: notices.password_reset,
                },
            ),
        ],
        background=[upstream_clients],
        periodic=[PeriodicJob("gateway.rate-limit-windows", 60, rate_limit_windows)],
        configure_app=configure,
        sends_mail=True,
    )


def configure_tokens(app: FastAPI, settings: GatewaySettings, mail: MailTemplates) -> None:
    keys = load_key_ring(
        settings.signing_key_file, settings.previous_key_files, create=settings.env != "production"
    )
    app.state.keys = keys
    revoked: RevokedSessions = app.state.revoked_sessions
    # The gateway knows the revocations in force from its own database, not over HTTP.
    revoked.snapshot = revocations.snapshot(IdentityStore(app.state.runtime.db), settings)
    app.state.web_sessions = WebSessions(settings, keys, revoked)
    app.state.client_addresses = ClientAddresses(keys)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    app.state.cookie_names = CookieNames.for_site(https=settings.https)
    app.state.public_url = settings.public_url
    app.state.verifier = JwksVerifier.with_keys(
        keys.jwks, settings.jwt_issuer, settings.jwt_audience, revoked
    )
    db = app.state.runtime.db
    # Counted in the database, so every instance enforces one budget; the names keep the
    # limits' windows apart in one table.
    app.state.limiters = Limiters(
        login_per_account_address=SharedRateLimiter(
            db, "sign_in_account_address", settings.login_rate_per_account_address
        ),
        login_per_address=SharedRateLimiter(db, "sign_in_address", settings.login_rate_per_address),
        register_per_address=SharedRateLimiter(
            db, "registration_address", settings.register_rate_per_address
        ),
        api_per_user=SharedRateLimiter(
            db, "api_caller", settings.api_rate_per_user, lease=API_LEASE
        ),
        reset_per_address=SharedRateLimiter(
            db, "password_reset_address", settings.password_resets_per_address_hour, window=3600
        ),
    )
    app.state.mail = mail
    app.state.address_mail = AddressMail(app.state.mail, settings)
    app.state.invitation_mail = InvitationMail(
        app.state.mail,
        SharedRateLimiter(
            db, "invitation_resend", settings.invitation_resends_per_hour, window=3600
        ),
    )


def configure_routing(app: FastAPI, settings: GatewaySettings) -> None:
    app.state.upstream = proxy.create_upstream_client(settings.upstream_timeout_s)
    app.state.upstream_client = settings.upstream_client
    app.state.upstream_timeout = settings.upstream_timeout_s
    app.state.upstream_urls = settings.upstream_urls()
    install_readiness(app)


def configure_guards(app: FastAPI, settings: GatewaySettings) -> None:
    # Added innermost first: headers wrap everything, then the size limit, then a sign-in from
    # another site is refused before anything reads it, then cookies turn into tokens, so the
    # rate limit sees the user behind a cookie too.
    app.add_middleware(ApiRateLimit, state=lambda: app.state)
    app.add_middleware(CookieSessions, state=lambda: app.state)
    app.add_middleware(SignInOrigin, state=lambda: app.state)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)


def app() -> FastAPI:
    """ASGI factory: ``uvicorn --factory kasa_gateway.main:app``."""
    return create_app(build())


def main() -> None:
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default and rewrites the client
    # before any of our code sees the real peer; only TRUSTED_PROXIES may decide that here.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    service_main(build, commands=[operator_role.GRANT, operator_role.REVOKE])
