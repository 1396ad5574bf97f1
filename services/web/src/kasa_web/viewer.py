"""Who is looking at the page: the gateway turns the session cookie into a bearer token.

The gateway checks the cookie (and the CSRF token of every change) before a request reaches
the web; the web verifies the token itself, like every service, and calls the API with it.
"""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request

from kasa_servicekit.auth import JwksVerifier, Principal
from kasa_servicekit.problems import ProblemError
from kasa_web import i18n

CSRF_COOKIE = "kasa_csrf"
LANGUAGE_COOKIE = "kasa_lang"
THEME_COOKIE = "kasa_theme"
THEMES = ("light", "dark")


class SignInRequired(Exception):
    """No valid session: the page asks the person to sign in, then brings them back."""


@dataclass(frozen=True)
class Viewer:
    token: str
    principal: Principal
    csrf_token: str
    locale: str

    @property
    def workspace_id(self) -> UUID:
        return self.principal.workspace_id

    @property
    def name(self) -> str:
        return self.principal.name or ""

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def can_write(self) -> bool:
        return self.principal.role != "viewer"


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def page_locale(request: Request, claimed: str | None = None) -> str:
    """The user's setting (token claim, then the language cookie), then ``Accept-Language``."""
    preferred = claimed or request.cookies.get(LANGUAGE_COOKIE)
    locale = i18n.negotiate(preferred, request.headers.get("accept-language"))
    i18n.current_locale.set(locale)
    return locale


async def optional_viewer(request: Request) -> Viewer | None:
    token = bearer(request)
    if token is None:
        request.state.locale = page_locale(request)
        return None
    verifier: JwksVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(token)
    except ProblemError:
        request.state.locale = page_locale(request)
        return None
    claims = jwt.decode(token, options={"verify_signature": False})
    locale = page_locale(request, claims.get("lng"))
    request.state.locale = locale
    viewer = Viewer(token, principal, request.cookies.get(CSRF_COOKIE, ""), locale)
    request.state.viewer = viewer
    return viewer


async def current_viewer(request: Request) -> Viewer:
    viewer = await optional_viewer(request)
    if viewer is None:
        raise SignInRequired()
    return viewer


SignedIn = Annotated[Viewer, Depends(current_viewer)]
"""The signed-in person; a page that needs one sends everyone else to sign in."""
MaybeSignedIn = Annotated[Viewer | None, Depends(optional_viewer)]
