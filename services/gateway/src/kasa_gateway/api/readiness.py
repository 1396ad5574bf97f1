"""``GET /health/ready`` for the gateway: its own database and broker, and each upstream.

The gateway is ready when its own dependencies are; an upstream that is down is reported
but does not take the gateway out of service, since every other route still works and the
caller of the missing one gets a clear 503.
"""

import asyncio

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kasa_servicekit.service import Runtime

UPSTREAM_PROBE_SECONDS = 2.0


async def probe_upstream(client: httpx.AsyncClient, base_url: str) -> str:
    try:
        response = await client.get(f"{base_url}/health/ready", timeout=UPSTREAM_PROBE_SECONDS)
    except httpx.TimeoutException:
        return "timeout"
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok" if response.status_code == 200 else f"not ready ({response.status_code})"


async def ready(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    urls: dict[str, str] = request.app.state.upstream_urls
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(runtime.db.ping(), timeout=2)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failing: {type(exc).__name__}"
    checks["broker"] = "ok" if runtime.bus.connected else "disconnected"
    client = request.app.state.upstream_probe
    results = await asyncio.gather(*(probe_upstream(client, url) for url in urls.values()))
    ok = all(v == "ok" for v in checks.values())
    body = {
        "status": "ready" if ok else "not ready",
        "service": runtime.spec.name,
        "version": runtime.spec.version,
        "checks": checks,
        "upstreams": dict(zip(urls, results, strict=True)),
    }
    return JSONResponse(body, status_code=200 if ok else 503)


def install_readiness(app: FastAPI) -> None:
    """Put a readiness route that also reports the upstreams in front of the kit's own."""
    app.state.upstream_probe = httpx.AsyncClient(timeout=UPSTREAM_PROBE_SECONDS)
    app.add_api_route("/health/ready", ready, include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())
