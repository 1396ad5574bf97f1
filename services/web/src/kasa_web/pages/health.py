"""Liveness and readiness of the web: ready when the gateway it calls answers."""

from fastapi import APIRouter
from starlette.responses import JSONResponse

from kasa_web.api_client import ApiUnavailable
from kasa_web.pages.common import ApiDep

router = APIRouter(include_in_schema=False)


@router.get("/health/live")
async def live() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/health/ready")
async def ready(api: ApiDep) -> JSONResponse:
    try:
        await api.send("GET", "/health/live", None)
    except ApiUnavailable:
        return JSONResponse({"status": "unavailable", "gateway": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "gateway": "ok"})
