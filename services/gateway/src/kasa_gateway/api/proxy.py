"""Forwards ``/api/v1/<resource>`` and ``/portal`` to the owning service, streaming both ways.

The upstream client is aiohttp by default: under concurrency httpx's connection pool
contends and the gateway reached a fraction of direct throughput (see docs/performance.md).
``UPSTREAM_CLIENT=httpx`` keeps the httpx path, the baseline the benchmark compares against.
Either way: pooled keep-alive connections, a connect timeout and a read timeout, request
bodies streamed upstream, response bodies streamed back unless small and of known size (those
are read whole: one send instead of a streaming response), 503 when the upstream cannot be
reached and 504 when it is slow.
"""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.background import BackgroundTask
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response, StreamingResponse

from kasa_gateway.domain.route_table import PAGES_OWNER, PORTAL_OWNER, RESOURCE_OWNERS
from kasa_gateway.guards import client_address
from kasa_gateway.tokens.client_address import HEADER as VOUCHED_ADDRESS
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.tracing import inject_headers

log = logging.getLogger("kasa.gateway.proxy")


class OwnedResource(Convertor[str]):
    """Matches only the resource names a service owns, so the proxy's routes can be tried
    first (most requests are proxied) without shadowing the gateway's own ``/api/v1`` routes.
    """

    regex = "|".join(re.escape(name) for name in sorted(RESOURCE_OWNERS, key=len, reverse=True))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("owned_resource", OwnedResource())

router = APIRouter(include_in_schema=False)
"""Proxied resources and the portal: include before the gateway's own routes."""

unknown_resources = APIRouter(include_in_schema=False)
"""A problem document for any other ``/api/v1`` name: include after the API's routes."""

pages = APIRouter(include_in_schema=False)
"""Every other path goes to the web application: include last of all."""

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
}
# Our own server sets these on the way out; the upstream's copies would be duplicates.
RESPONSE_SKIP = HOP_BY_HOP | {"date", "server"}
CONNECT_TIMEOUT = 3.0
MAX_CONNECTIONS = 200
# A response of known size up to this is read whole and answered in one piece: a page of JSON
# should not pay for a streaming response's task group and per-chunk sends. Larger or unsized
# bodies (downloads, exports) stream through as they arrive.
BUFFERED_BODY_BYTES = 256 * 1024


def _small(content_length: int | None) -> bool:
    return content_length is not None and content_length <= BUFFERED_BODY_BYTES


def create_upstream_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=50),
    )


def upstream_session(app: FastAPI) -> aiohttp.ClientSession:
    """The aiohttp session, made on first use: it must belong to the running event loop."""
    session: aiohttp.ClientSession | None = getattr(app.state, "upstream_session", None)
    if session is None or session.closed:
        timeout: float = app.state.upstream_timeout
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=MAX_CONNECTIONS, keepalive_timeout=30, ttl_dns_cache=300
            ),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=CONNECT_TIMEOUT, sock_read=timeout
            ),
            # Bytes pass through as the upstream sent them, compressed or not.
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
        )
        app.state.upstream_session = session
    return session


async def close_upstream_clients(app: FastAPI) -> None:
    session = getattr(app.state, "upstream_session", None)
    if session is not None:
        await session.close()
    for client in (app.state.upstream, app.state.upstream_probe):
        await client.aclose()


def _request_headers(request: Request, service: str) -> list[tuple[str, str]]:
    skipped = HOP_BY_HOP | {"x-request-id", "x-forwarded-for", VOUCHED_ADDRESS}
    headers = [
        (name, value.decode("latin-1"))
        for key, value in request.scope["headers"]
        if (name := key.decode("latin-1").lower()) not in skipped
    ]
    request_id = correlation_id_var.get() or request.headers.get("x-request-id", "")
    headers.append(("x-request-id", request_id))
    # Only the client as we resolved it travels on: what a client wrote there is not news.
    address = client_address(request.scope, request.app.state)
    headers.append(("x-forwarded-for", address))
    if service == PAGES_OWNER and request.method == "POST":
        # For the sign-in and registration calls the web makes on this person's behalf.
        headers.append((VOUCHED_ADDRESS, request.app.state.client_addresses.vouch(address)))
    headers += list(inject_headers().items())
    return headers


def _response_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in raw if k.decode("latin-1").lower() not in RESPONSE_SKIP]


def _buffered(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
    """A whole upstream body, answered with its own headers (``Content-Length`` included)."""
    response = Response(body, status_code=status)
    response.raw_headers = headers
    return response


def _raw_path(request: Request) -> str:
    """The path exactly as the client encoded it: decoding and re-encoding could change it."""
    raw: bytes | None = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _has_body(request: Request) -> bool:
    return "content-length" in request.headers or "transfer-encoding" in request.headers


def _unavailable(service: str) -> ProblemError:
    return ProblemError(503, "Service Unavailable", f"the {service} service is unavailable")


def _timed_out(service: str) -> ProblemError:
    return ProblemError(504, "Gateway Timeout", f"the {service} service did not answer in time")


Failures = tuple[type[BaseException] | tuple[type[BaseException], ...], type[BaseException]]
AIOHTTP_FAILURES: Failures = ((TimeoutError, aiohttp.ServerTimeoutError), aiohttp.ClientError)
HTTPX_FAILURES: Failures = (httpx.TimeoutException, httpx.TransportError)


@contextmanager
def _upstream_failures(service: str, failures: Failures, what: str) -> Iterator[None]:
    """A client's timeout as a 504 problem and its connection failure as a 503 problem."""
    timeouts, broken = failures
    try:
        yield
    except timeouts as exc:
        log.warning("%s timed out: %s", service, exc)
        raise _timed_out(service) from exc
    except broken as exc:
        log.warning("%s %s: %s", service, what, exc)
        raise _unavailable(service) from exc


def _upstream_url(request: Request, service: str) -> str:
    url: str = request.app.state.upstream_urls[service] + _raw_path(request)
    return f"{url}?{request.url.query}" if request.url.query else url


async def forward_with_aiohttp(request: Request, service: str) -> Response:
    session = upstream_session(request.app)
    with _upstream_failures(service, AIOHTTP_FAILURES, "unreachable"):
        upstream = await session.request(
            request.method,
            aiohttp.client.URL(_upstream_url(request, service), encoded=True),
            headers=_request_headers(request, service),
            data=request.stream() if _has_body(request) else None,
            allow_redirects=False,
        )

    headers = _response_headers(upstream.raw_headers)
    if _small(upstream.content_length):
        try:
            with _upstream_failures(service, AIOHTTP_FAILURES, "broke off a response"):
                whole = await upstream.read()
        finally:
            upstream.release()
        return _buffered(upstream.status, headers, whole)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Too late for a problem document: the status line is out. Cut the response short.
            log.warning("%s broke off a response: %s", service, exc)
            raise

    async def release() -> None:
        # A coroutine, so Starlette runs it in place rather than in its thread pool.
        upstream.release()

    response = StreamingResponse(
        body(), status_code=upstream.status, background=BackgroundTask(release)
    )
    response.raw_headers = headers
    return response


async def forward_with_httpx(request: Request, service: str) -> Response:
    client: httpx.AsyncClient = request.app.state.upstream
    upstream = client.build_request(
        request.method,
        httpx.URL(_upstream_url(request, service)),
        headers=_request_headers(request, service),
        content=request.stream(),
    )
    with _upstream_failures(service, HTTPX_FAILURES, "unreachable"):
        response = await client.send(upstream, stream=True)
    headers = _response_headers(response.headers.raw)
    length = response.headers.get("content-length")
    if _small(int(length) if length and length.isdigit() else None):
        try:
            with _upstream_failures(service, HTTPX_FAILURES, "broke off a response"):
                whole = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return _buffered(response.status_code, headers, whole)
    streaming = StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        background=BackgroundTask(response.aclose),
    )
    streaming.raw_headers = headers
    return streaming


async def forward(request: Request, service: str) -> Response:
    if request.app.state.upstream_client == "httpx":
        return await forward_with_httpx(request, service)
    return await forward_with_aiohttp(request, service)


@router.api_route("/api/v1/{resource:owned_resource}", methods=METHODS)
@router.api_route("/api/v1/{resource:owned_resource}/{rest:path}", methods=METHODS)
async def api(request: Request) -> Response:
    # Read from the path, not declared as a parameter: the route only matches owned names,
    # and declaring it would cost a validation pass per proxied request.
    return await forward(request, RESOURCE_OWNERS[request.path_params["resource"]])


@unknown_resources.api_route("/api/v1/{resource}", methods=METHODS)
@unknown_resources.api_route("/api/v1/{resource}/{rest:path}", methods=METHODS)
async def unknown(resource: str) -> Response:
    raise ProblemError(404, "Not Found", f"no API resource named {resource!r}")


@router.api_route("/portal/{rest:path}", methods=["GET", "POST"])
async def portal(request: Request) -> Response:
    return await forward(request, PORTAL_OWNER)


UNAVAILABLE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kasa is not answering</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>Kasa is not answering right now</h1><p>The web application is unavailable or slow. Nothing
you saved is lost.</p><p><a href="">Try again</a></p></body></html>"""


@pages.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
async def page(request: Request) -> Response:
    try:
        return await forward(request, PAGES_OWNER)
    except ProblemError as problem:
        if problem.status not in (503, 504):
            raise
        # A person is looking at this, not a program: a page with a way to retry.
        return Response(
            UNAVAILABLE_PAGE,
            status_code=problem.status,
            media_type="text/html",
            headers={"retry-after": "5"},
        )


async def keep_until_shutdown(app: FastAPI) -> None:
    """Hold the upstream clients open for the service's life; close them at shutdown."""
    try:
        await asyncio.Event().wait()
    finally:
        await close_upstream_clients(app)
