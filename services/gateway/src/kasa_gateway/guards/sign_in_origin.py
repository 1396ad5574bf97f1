"""Signing in and signing up only from Kasa's own pages (no login CSRF).

A cross-site form can post a sign-in with the attacker's own credentials; the victim's browser
would then hold the attacker's session and file the victim's data into the attacker's
account. The cookies' ``SameSite=Lax`` does not stop that: there is no session yet. So a
sign-in, a registration, or the pages that make them, are refused when the browser says the
request is cross-site (``Sec-Fetch-Site``) or names another site as its ``Origin``. Clients
that are not browsers send neither and are not affected.
"""

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from kasa_gateway.guards import header, own_origin, send_problem

SIGN_IN_PATHS = frozenset(
    {
        "/api/v1/auth/session",
        "/api/v1/auth/token",
        "/api/v1/auth/register",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/verify-email",
        # The web application's forms, which call the ones above for the browser.
        "/sign-in",
        "/sign-up",
        "/forgot-password",
        "/reset-password",
        "/verify-email",
    }
)


def cross_site(scope: Scope, public_url: str) -> bool:
    """Whether the browser says a request comes from another site."""
    if (header(scope, b"sec-fetch-site") or "").strip().lower() == "cross-site":
        return True
    origin = header(scope, b"origin")
    return origin is not None and not own_origin(origin, header(scope, b"host"), public_url)


class SignInOrigin:
    def __init__(self, app: ASGIApp, state: Callable[[], Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in SIGN_IN_PATHS
            and cross_site(scope, self.state().public_url)
        ):
            await send_problem(
                send,
                403,
                "Forbidden",
                "signing in is accepted only from Kasa's own pages",
                scope["path"],
            )
            return
        await self.app(scope, receive, send)
