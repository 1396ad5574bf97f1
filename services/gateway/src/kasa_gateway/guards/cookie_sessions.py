"""Browser sessions: a valid session cookie becomes a short-lived bearer token.

This holds for the API and for the web application's pages alike, so the web calls the API
with the same token. Requests that change something (any method but GET, HEAD, OPTIONS) must
prove they come from our own pages: the ``X-CSRF-Token`` header, or a ``csrf_token`` field in
a form post, must carry the session's CSRF token (in a multipart form it must be the first
field). A cross-site form can send the cookie but cannot read it.

The cookies' names depend on how the site is reached (``CookieNames``): over https they
carry the ``__Host-`` prefix, which a browser keeps only for a ``Secure`` cookie of this very
host with ``Path=/`` — a neighbouring subdomain or a plain-http page cannot plant one. The
web application never reads a cookie itself: the gateway hands it the CSRF token of the
session as ``X-CSRF-Token``, the same header the pages send back.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasa_gateway.guards import header, send_problem
from kasa_gateway.tokens.opaque import csrf_matches, csrf_token_for


@dataclass(frozen=True)
class CookieNames:
    """The names of the session cookie and the CSRF cookie: one definition for the gateway's
    every reader and writer of them."""

    session: str
    csrf: str

    @classmethod
    def for_site(cls, *, https: bool) -> "CookieNames":
        # ``__Host-`` needs ``Secure``, which a browser honours only over https (and on
        # localhost); the plain names are for development over http.
        prefix = "__Host-" if https else ""
        return cls(session=f"{prefix}kasa_session", csrf=f"{prefix}kasa_csrf")


CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Signing in must work whatever cookie the browser still holds.
SIGN_IN_PATHS = {
    "/api/v1/auth/session",
    "/api/v1/auth/token",
    "/api/v1/auth/register",
    "/api/v1/auth/refresh",
}
MAX_FORM_BYTES = 64 * 1024
# Paths a cookie never speaks for: the public portal, probes, the operator's and the keys.
NOT_SESSION_PATHS = ("/portal/", "/health/", "/metrics", "/ops/", "/.well-known/", "/static/")


def read_cookie(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class CookieSessions:
    def __init__(self, app: ASGIApp, state: Callable[[], Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(NOT_SESSION_PATHS)
            or header(scope, b"authorization")
            or (scope["path"] in SIGN_IN_PATHS and scope["method"] == "POST")
        ):
            await self.app(scope, receive, send)
            return
        state = self.state()
        cookie = read_cookie(scope, state.cookie_names.session)
        session = await state.web_sessions.live(state.runtime.db, cookie) if cookie else None
        if cookie is None or session is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            presented = header(scope, CSRF_HEADER)
            content_type = header(scope, b"content-type") or ""
            if presented is None and content_type.startswith("application/x-www-form-urlencoded"):
                presented, receive = await _csrf_from_form(receive)
            elif presented is None and content_type.startswith("multipart/form-data"):
                presented, receive = await _csrf_from_multipart(receive, content_type)
            if not csrf_matches(cookie, presented):
                await send_problem(
                    send, 403, "Forbidden", "missing or wrong CSRF token", scope["path"]
                )
                return
        token = state.web_sessions.token(session)
        headers = [(k, v) for k, v in scope["headers"] if k != CSRF_HEADER]
        headers.append((b"authorization", f"Bearer {token}".encode()))
        if not scope["path"].startswith("/api/"):
            # A page embeds it in its forms; the services behind the API have no use for it.
            headers.append((CSRF_HEADER, csrf_token_for(cookie).encode()))
        await self.app({**scope, "headers": headers}, receive, send)


async def _read_ahead(
    receive: Receive, enough: Callable[[bytes], bool]
) -> tuple[bytes, bool, Receive]:
    """Read the body until ``enough`` of it is seen (at most 64 KiB); replay it afterwards."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
        if size > MAX_FORM_BYTES or enough(b"".join(chunks)):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return body, more, replay


async def _csrf_from_form(receive: Receive) -> tuple[str | None, Receive]:
    """Read a (small) form body for its ``csrf_token`` and hand the same body on."""
    body, _, replay = await _read_ahead(receive, lambda _body: False)
    values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token", [])
    return (values[0] if values else None), replay


_FIRST_PART = re.compile(
    rb'\A--(?P<boundary>[^\r\n]+)\r\nContent-Disposition: form-data; name="csrf_token"\r\n'
    rb"(?:[^\r\n]+\r\n)*\r\n(?P<value>[^\r\n]*)\r\n--",
    re.IGNORECASE,
)


async def _csrf_from_multipart(receive: Receive, content_type: str) -> tuple[str | None, Receive]:
    """The ``csrf_token`` of a multipart form, which must be its first field: an upload is
    checked before its file is read, and streams on untouched."""
    boundary = content_type.partition("boundary=")[2].strip().strip('"').encode("latin-1")
    head, _, replay = await _read_ahead(receive, lambda body: body.count(b"\r\n--") >= 1)
    found = _FIRST_PART.match(head)
    if not found or found.group("boundary") != boundary:
        return None, replay
    return found.group("value").decode("latin-1"), replay
