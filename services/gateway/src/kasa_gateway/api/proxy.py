"""Forwards ``/api/v1/<resource>`` and ``/portal`` to the owning service, streaming both ways."""

import logging

import httpx
from fastapi import APIRouter, Request
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


def create_upstream_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=3.0),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )


async def forward(request: Request, service: str) -> Response:
    client: httpx.AsyncClient = request.app.state.upstream
    base = request.app.state.upstream_urls[service]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["x-request-id"] = correlation_id_var.get() or headers.get("x-request-id", "")
    headers["x-forwarded-for"] = request.client.host if request.client else ""
    headers.update(inject_headers())
    upstream = client.build_request(
        request.method,
        base + request.url.path,
        params=request.query_params,
        headers=headers,
        content=request.stream(),
    )
    try:
        response = await client.send(upstream, stream=True)
    except httpx.TimeoutException as exc:
        log.warning("%s timed out: %s", service, exc)
        raise ProblemError(
            504, "Gateway Timeout", f"the {service} service did not answer in time"
        ) from exc
    except httpx.TransportError as exc:
        log.warning("%s unreachable: %s", service, exc)
        raise ProblemError(
            503, "Service Unavailable", f"the {service} service is unavailable"
        ) from exc
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers={k: v for k, v in response.headers.items() if k.lower() not in RESPONSE_SKIP},
        background=BackgroundTask(response.aclose),
    )


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
