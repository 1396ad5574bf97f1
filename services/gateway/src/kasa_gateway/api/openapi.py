"""``GET /api/v1/openapi.json``: the merged API description; ``/api/docs`` renders it.

Swagger UI comes from Kasa itself, never a CDN: the web application serves the pinned
``swagger-ui-dist`` package (``services/web/package.json``, locked with its integrity hash)
under ``/static/vendor/swagger-ui/``, and the page's own start script is served here, so the
page's policy allows nothing but this origin.
"""

import asyncio
import logging
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kasa_gateway.domain.openapi_merge import merge
from kasa_gateway.domain.route_table import PAGES_OWNER

log = logging.getLogger("kasa.gateway.openapi")

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 30.0
SWAGGER_UI = "/static/vendor/swagger-ui"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kasa API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script>
</body></html>"""
# A file, not an inline script: the policy allows no inline code.
DOCS_START = 'SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#ui"});\n'


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
    return HTMLResponse(DOCS_PAGE, headers={"Content-Security-Policy": DOCS_POLICY})


@router.get("/api/docs/start.js")
async def docs_start() -> Response:
    return Response(
        DOCS_START,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600"},
    )
