"""Who is looking at the page: the gateway turns the session cookie into a bearer token.

The gateway checks the cookie (and the CSRF token of every change) before a request reaches
the web; the web verifies the token itself, like every service, and calls the API with it.
"""

import re
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from starlette.responses import Response

from kasa_servicekit.auth import JwksVerifier, Principal, outranks
from kasa_servicekit.problems import ProblemError
from kasa_web import i18n

CSRF_HEADER = "x-csrf-token"
"""The gateway hands a page the session's CSRF token in the header the page sends it back in;
the web never reads the session's cookies, whose names are the gateway's to choose."""
CSRF_TOKEN = re.compile(r"[0-9a-f]{64}")
LANGUAGE_COOKIE = "kasa_lang"
THEME_COOKIE = "kasa_theme"
THEMES = ("light", "dark")


COOKIE_SECONDS = 365 * 24 * 3600


def remember_language(response: Response, locale: str | None) -> None:
    """Carry the language to the pages before sign-in; ``None`` forgets it."""
    if locale:
        response.set_cookie(
            LANGUAGE_COOKIE, locale, max_age=COOKIE_SECONDS, samesite="lax", path="/"
        )
    else:
        response.delete_cookie(LANGUAGE_COOKIE, path="/")


class SignInRequired(Exception):
    """No valid session: the page asks the person to sign in, then brings them back."""


class Profiles:
    """``/api/v1/me`` per session and workspace, remembered briefly: every page shows the
    person's name and workspace and speaks their language, and asking each time would add a
    round trip to every page."""

    def __init__(self, seconds: float = 30, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._known: dict[tuple[str, UUID], tuple[float, dict[str, Any]]] = {}

    async def get(self, request: Request, token: str, principal: Principal) -> dict[str, Any]:
        sid = str(jwt.decode(token, options={"verify_signature": False}).get("sid", ""))
        key = (sid, principal.workspace_id)
        now = time.monotonic()
        known = self._known.get(key)
        if known and known[0] > now:
            return known[1]
        me: dict[str, Any] = await request.app.state.api.json("GET", "/api/v1/me", token)
        if len(self._known) >= self.size:
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
            if len(self._known) >= self.size:
                self._known.clear()
        self._known[key] = (now + self.seconds, me)
        return me

    def forget(self, user_id: UUID) -> None:
        """After a change of profile: every session of the person sees it on the next page."""
        self._known = {k: v for k, v in self._known.items() if v[1].get("id") != str(user_id)}


@dataclass(frozen=True)
class Viewer:
    token: str
    principal: Principal
    csrf_token: str
    locale: str
    me: dict[str, Any] = field(default_factory=dict)

    @property
    def workspace_name(self) -> str:
        return str(self.me.get("workspace", {}).get("name", ""))

    @property
    def email(self) -> str:
        return str(self.me.get("email", ""))

    @property
    def workspace_id(self) -> UUID:
        return self.principal.workspace_id

    @property
    def name(self) -> str:
        # The profile's, which a change shows at once; the token's may be a minute old.
        return str(self.me.get("name") or self.principal.name or "")

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def can_write(self) -> bool:
        return self.at_least("member")

    def at_least(self, role: str) -> bool:
        """Whether the person's role allows what ``role`` may do (the API's role matrix), so a
        page offers only the actions the API would accept from them."""
        return outranks(self.principal.role, role)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def page_locale(request: Request, setting: str | None = None) -> str:
    """The person's own setting, then ``Accept-Language``, then English.

    Before sign-in the setting is not known; the language cookie (written at sign-in and
    when the setting changes) stands in for it.
    """
    preferred = setting or request.cookies.get(LANGUAGE_COOKIE)
    locale = i18n.negotiate(preferred, request.headers.get("accept-language"))
    i18n.current_locale.set(locale)
    return locale


def csrf_token(request: Request) -> str:
    """The session's CSRF token for the page's forms; anything but a token's shape is dropped
    (it ends up in attributes and a header of the page)."""
    value = request.headers.get(CSRF_HEADER, "")
    return value if CSRF_TOKEN.fullmatch(value) else ""


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
    profiles: Profiles = request.app.state.profiles
    me = await profiles.get(request, token, principal)
    locale = page_locale(request, me.get("locale"))
    request.state.locale = locale
    viewer = Viewer(token, principal, csrf_token(request), locale, me)
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
