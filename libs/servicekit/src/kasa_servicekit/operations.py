"""Endpoints for operators and probes: health, metrics and the ``/ops`` API of ``kasa``.

They are served on the service's internal address only; the gateway never routes them. When
``OPS_TOKEN`` is set, ``/ops`` requires it as a bearer token.
"""

import asyncio
import hmac
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from kasa_servicekit.db import utcnow
from kasa_servicekit.outbox import BACKLOG, backlog, republish
from kasa_servicekit.problems import ProblemError

if TYPE_CHECKING:
    from kasa_servicekit.service import Runtime


class RepublishIn(BaseModel):
    since: datetime
    until: datetime | None = None
    event_type: str | None = None


async def require_operator(request: Request) -> None:
    """Dependency of operator-only endpoints: the ``OPS_TOKEN`` bearer token, when one is set."""
    settings = request.app.state.runtime.settings
    expected = settings.ops_token
    if not expected:
        if settings.env == "production":
            # Fail closed: without a token these endpoints would be open to whoever reaches
            # the address, and the gateway's address is public.
            raise ProblemError(403, "Forbidden", "operator endpoints need OPS_TOKEN to be set")
        return
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ProblemError(401, "Unauthorized", "an operator token is required")


Operator = Annotated[None, Depends(require_operator)]


def operations_router(runtime: "Runtime") -> APIRouter:
    router = APIRouter(tags=["operations"], include_in_schema=False)

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(runtime.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"failing: {type(exc).__name__}"
        checks["broker"] = "ok" if runtime.bus.connected else "disconnected"
        ok = all(v == "ok" for v in checks.values())
        body = {
            "status": "ready" if ok else "not ready",
            "service": runtime.spec.name,
            "version": runtime.spec.version,
            "checks": checks,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        with suppress(Exception):
            waiting, _ = await asyncio.wait_for(backlog(runtime.db), timeout=2)
            BACKLOG.set(waiting)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/ops/info")
    async def info(_: Operator) -> dict[str, Any]:
        return {
            "service": runtime.spec.name,
            "version": runtime.spec.version,
            "queues": [
                {"queue": s.queue, "routing_keys": list(s.routing_keys)}
                for s in runtime.spec.subscriptions
            ],
        }

    @router.get("/ops/outbox")
    async def outbox_status(_: Operator) -> dict[str, Any]:
        waiting, oldest = await backlog(runtime.db)
        return {
            "waiting": waiting,
            "oldest_created_at": oldest,
            "oldest_age_s": round((utcnow() - oldest).total_seconds(), 3) if oldest else None,
        }

    @router.post("/ops/outbox/republish")
    async def outbox_republish(body: RepublishIn, _: Operator) -> dict[str, int]:
        count = await republish(runtime.db, body.since, body.until, body.event_type)
        return {"republished": count}

    return router
