"""``GET /api/v1/openapi.json``: the merged API description; ``/api/docs`` renders it."""

import asyncio
import logging
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kasa_gateway.domain.openapi_merge import merge
from kasa_gateway.domain.route_table import PAGES_OWNER

log = logging.getLogger("kasa.gateway.openapi")

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 30.0
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


async def _fetch(client: httpx.AsyncClient, service: str, base_url: str) -> dict[str, Any] | None:
    try:
        response = await client.get(f"{base_url}/openapi.json", timeout=5)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("no API description from %s: %s", service, exc)
        return None


async def merged_document(request: Request) -> dict[str, Any]:
    state = request.app.state
    cached = getattr(state, "merged_openapi", None)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        document: dict[str, Any] = cached[1]
        return document
    # The web application serves pages, not API: it has no part in the API's description.
    urls: dict[str, str] = {
        service: url for service, url in state.upstream_urls.items() if service != PAGES_OWNER
    }
    fetched = await asyncio.gather(
        *(_fetch(state.upstream_probe, service, url) for service, url in urls.items())
    )
    documents = {s: d for s, d in zip(urls, fetched, strict=True) if d is not None}
    documents["gateway"] = request.app.openapi()
    document = merge(documents, title="Kasa API", version=request.app.version)
    missing = sorted(set(urls) - set(documents))
    if missing:
        # Incomplete: say so, and do not cache it.
        document["info"]["x-kasa-missing-services"] = missing
    else:
        state.merged_openapi = (time.monotonic(), document)
    return document


@router.get("/api/v1/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(await merged_document(request))


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kasa API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "/api/v1/openapi.json", dom_id: "#ui"}});</script>
</body></html>"""
    policy = (
        "default-src 'none'; "
        f"script-src 'unsafe-inline' {SWAGGER_UI}/; style-src {SWAGGER_UI}/; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})
