"""ASGI middleware that guards the public door: headers, body size, rate limits, cookies."""

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import Send

from kasa_gateway.domain.client_address import resolve
from kasa_servicekit.problems import PROBLEM_JSON


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    instance: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer with a problem document from middleware, outside FastAPI's handlers."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
        }
    ).encode()
    raw: list[tuple[bytes, bytes]] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def headers_named(scope: dict[str, Any], name: bytes) -> list[str]:
    """Every value of a header that may be sent more than once, in the order received."""
    return [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]


def client_address(scope: dict[str, Any], state: Any) -> str:
    """The client's address: the socket peer, or behind ``TRUSTED_PROXIES`` the first
    address in ``X-Forwarded-For`` that is not one of them."""
    peer = scope.get("client")
    forwarded = headers_named(scope, b"x-forwarded-for")
    return resolve(peer[0] if peer else "unknown", forwarded, state.trusted_proxies)


def own_origin(origin: str, host: str | None, public_url: str) -> bool:
    """Whether ``Origin`` names this site: the host the request was sent to, or the public
    URL's origin (behind a proxy that rewrites ``Host``)."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file) is nobody's own
    public = urlsplit(public_url)
    if (parts.scheme, parts.netloc.lower()) == (public.scheme, public.netloc.lower()):
        return True
    return bool(host) and parts.netloc.lower() == (host or "").lower()
