"""Forwards ``/api/v1/<resource>`` and ``/portal`` to the owning service, streaming both ways.

The upstream client is aiohttp by default: under concurrency httpx's connection pool
contends and the gateway reached a fraction of direct throughput (see docs/performance.md).
``UPSTREAM_CLIENT=httpx`` keeps the httpx path, the baseline the benchmark compares against.
Either way: pooled keep-alive connections, a connect timeout and a read timeout, bodies
streamed in both directions, 503 when the upstream cannot be reached and 504 when it is slow.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from kasa_gateway.routes import PORTAL_OWNER, RESOURCE_OWNERS
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.problems import ProblemError
from kasa_servicekit.tracing import inject_headers

log = logging.getLogger("kasa.gateway.proxy")

router = APIRouter(include_in_schema=False)

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


def _request_headers(request: Request) -> list[tuple[str, str]]:
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
    headers = [(k, v) for k, v in headers if k.lower() not in ("x-request-id", "x-forwarded-for")]
    request_id = correlation_id_var.get() or request.headers.get("x-request-id", "")
    headers.append(("x-request-id", request_id))
    headers.append(("x-forwarded-for", request.client.host if request.client else ""))
    headers += list(inject_headers().items())
    return headers


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


async def forward_with_aiohttp(request: Request, service: str) -> Response:
    session = upstream_session(request.app)
    url = request.app.state.upstream_urls[service] + _raw_path(request)
    if request.url.query:
        url += "?" + request.url.query
    try:
        upstream = await session.request(
            request.method,
            aiohttp.client.URL(url, encoded=True),
            headers=_request_headers(request),
            data=request.stream() if _has_body(request) else None,
            allow_redirects=False,
        )
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        log.warning("%s timed out: %s", service, exc)
        raise _timed_out(service) from exc
    except aiohttp.ClientError as exc:
        log.warning("%s unreachable: %s", service, exc)
        raise _unavailable(service) from exc

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            # Too late for a problem document: the status line is out. Cut the response short.
            log.warning("%s broke off a response: %s", service, exc)
            raise

    response = StreamingResponse(
        body(), status_code=upstream.status, background=BackgroundTask(upstream.release)
    )
    response.raw_headers = [
        (k.lower(), v) for k, v in upstream.raw_headers if k.decode().lower() not in RESPONSE_SKIP
    ]
    return response


async def forward_with_httpx(request: Request, service: str) -> Response:
    client: httpx.AsyncClient = request.app.state.upstream
    base = request.app.state.upstream_urls[service]
    url = base + _raw_path(request)
    if request.url.query:
        url += "?" + request.url.query
    upstream = client.build_request(
        request.method,
        httpx.URL(url),
        headers=_request_headers(request),
        content=request.stream(),
    )
    try:
        response = await client.send(upstream, stream=True)
    except httpx.TimeoutException as exc:
        log.warning("%s timed out: %s", service, exc)
        raise _timed_out(service) from exc
    except httpx.TransportError as exc:
        log.warning("%s unreachable: %s", service, exc)
        raise _unavailable(service) from exc
    streaming = StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        background=BackgroundTask(response.aclose),
    )
    streaming.raw_headers = [
        (k.lower(), v) for k, v in response.headers.raw if k.decode().lower() not in RESPONSE_SKIP
    ]
    return streaming


async def forward(request: Request, service: str) -> Response:
    if request.app.state.upstream_client == "httpx":
        return await forward_with_httpx(request, service)
    return await forward_with_aiohttp(request, service)


@router.api_route("/api/v1/{resource}", methods=METHODS)
@router.api_route("/api/v1/{resource}/{rest:path}", methods=METHODS)
async def api(request: Request, resource: str) -> Response:
    service = RESOURCE_OWNERS.get(resource)
    if service is None:
        raise ProblemError(404, "Not Found", f"no API resource named {resource!r}")
    return await forward(request, service)


@router.api_route("/portal/{rest:path}", methods=["GET", "POST"])
async def portal(request: Request) -> Response:
    return await forward(request, PORTAL_OWNER)


async def keep_until_shutdown(app: FastAPI) -> None:
    """Hold the upstream clients open for the service's life; close them at shutdown."""
    try:
        await asyncio.Event().wait()
    finally:
        await close_upstream_clients(app)
