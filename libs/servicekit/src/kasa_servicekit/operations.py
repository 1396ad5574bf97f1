"""Endpoints for operators and probes: health, metrics and the ``/ops`` API of ``kasa``.

``/metrics``, ``/ops/*`` and ``/internal/*`` are served on the internal ops listener only
(``OPS_HOST``:``OPS_PORT``), never on a service's public port. Their operator endpoints
require ``OPS_TOKEN`` as a bearer token in every environment: with no token configured they
refuse every call. Wrong tokens are counted per client address, which is refused for a
minute once it has sent too many.
"""

import asyncio
import hashlib
import hmac
import time
from collections import deque
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from kasa_servicekit.consumers import Subscription
from kasa_servicekit.db import utcnow
from kasa_servicekit.mail_outbox import (
    MailStatus,
    MailSummary,
    drop_parked,
    list_mail,
    mail_counts,
    retry_parked,
)
from kasa_servicekit.outbox import BACKLOG, backlog, republish
from kasa_servicekit.problems import PROBLEM_JSON, ProblemError

if TYPE_CHECKING:
    from kasa_servicekit.service import Runtime


class RepublishIn(BaseModel):
    since: datetime
    until: datetime | None = None
    event_type: str | None = None


OPS_PATH_PREFIXES = ("/ops/", "/internal/")
"""Paths served by the ops listener only, besides ``/metrics``."""


def is_ops_path(path: str) -> bool:
    """Whether a route belongs on the internal ops listener rather than the public port."""
    return (
        path in ("/metrics", "/ops", "/internal")
        or path.startswith("/metrics/")
        or path.startswith(OPS_PATH_PREFIXES)
    )


class FailedTokens:
    """Wrong operator tokens per client address in the last minute, in bounded memory."""

    WINDOW_S = 60.0
    MAX_ADDRESSES = 10_000

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        while failures and failures[0] <= now - self.WINDOW_S:
            failures.popleft()
        return failures

    def blocked_for(self, address: str, now: float | None = None) -> float:
        """Seconds until ``address`` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        failures = self._recent(address, now)
        if not failures or len(failures) < self.per_minute:
            return 0.0
        return max(0.0, failures[0] + self.WINDOW_S - now)

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if address not in self._failures and len(self._failures) >= self.MAX_ADDRESSES:
            # Forget the address seen longest ago rather than grow without bound.
            self._failures.pop(next(iter(self._failures)))
        failures = self._recent(address, now)
        if failures is None:
            failures = self._failures[address] = deque(maxlen=self.per_minute)
        failures.append(now)


def _digest(token: str) -> bytes:
    # Compared as digests, so the comparison's time tells nothing about the token's length.
    return hashlib.sha256(token.encode()).digest()


async def require_operator(request: Request) -> None:
    """Dependency of operator-only endpoints: the ``OPS_TOKEN`` bearer token, always.

    Fails closed: with no token configured every call is refused, in every environment.
    """
    settings = request.app.state.runtime.settings
    expected = settings.ops_token
    if not expected:
        raise ProblemError(403, "Forbidden", "operator endpoints need OPS_TOKEN to be set")
    guard: FailedTokens | None = getattr(request.app.state, "failed_tokens", None)
    if guard is None:
        guard = request.app.state.failed_tokens = FailedTokens(settings.ops_failures_per_minute)
    address = request.client.host if request.client else "unknown"
    wait = guard.blocked_for(address)
    if wait:
        raise ProblemError(
            429,
            "Too Many Requests",
            "too many wrong operator tokens from this address",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        _digest(given.strip()), _digest(expected)
    ):
        guard.failed(address)
        raise ProblemError(
            401,
            "Unauthorized",
            "an operator token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


Operator = Annotated[None, Depends(require_operator)]


def health_router(runtime: "Runtime") -> APIRouter:
    """Liveness and readiness, on the public port (for probes) and on the ops listener."""
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

    return router


OPS_LISTENER = "kasa.ops_listener"
"""Scope key the ops listener sets on its requests; no client can set an ASGI scope key."""


class OpsListener:
    """The app as the ops listener serves it: its requests are marked as internal ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @property
    def state(self) -> Any:
        return getattr(self.app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, OPS_LISTENER: True}
        await self.app(scope, receive, send)


class ListenerGuard:
    """Outermost middleware: ops paths only on the ops listener, the rest only on the public one.

    Health probes answer on both. Anything else is a 404 before any route, guard or
    catch-all (the gateway forwards unknown paths to the web pages) sees the request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            internal = bool(scope.get(OPS_LISTENER))
            if is_ops_path(path) != internal and not path.startswith("/health/"):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                body = {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": f"{path} does not exist",
                    "instance": path,
                }
                await JSONResponse(body, 404, media_type=PROBLEM_JSON)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def operations_router(runtime: "Runtime") -> APIRouter:
    """The ops listener's own endpoints: metrics and the ``/ops`` API of ``kasa``."""
    router = APIRouter(tags=["operations"], include_in_schema=False)

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
            # Durable queues only: an instance's own queue (live push) is nothing to replay into.
            "queues": [
                {"queue": s.queue, "routing_keys": list(s.routing_keys)}
                for s in runtime.spec.subscriptions
                if isinstance(s, Subscription)
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

    if runtime.spec.sends_mail:
        router.include_router(mail_router(runtime))
    return router


class ParkedMailIn(BaseModel):
    ids: list[UUID] | None = None
    """The parked mail to act on; none means all of it."""
    dry_run: bool = False


def mail_router(runtime: "Runtime") -> APIRouter:
    """``kasa mail``: the outbox's counts, parked mail, and retrying or dropping it."""
    router = APIRouter()

    @router.get("/ops/mail")
    async def mail_status(_: Operator, status: MailStatus = "parked") -> dict[str, Any]:
        listed = await list_mail(runtime.db, status)
        return {
            "counts": await mail_counts(runtime.db),
            "smtp_configured": runtime.settings.smtp_server is not None,
            "items": [item.as_dict() for item in listed],
        }

    @router.post("/ops/mail/retry")
    async def mail_retry(body: ParkedMailIn, _: Operator) -> dict[str, Any]:
        if body.dry_run:
            return {"dry_run": True, "would_retry": len(await _parked(body.ids))}
        return {"retried": await retry_parked(runtime.db, body.ids)}

    @router.post("/ops/mail/drop")
    async def mail_drop(body: ParkedMailIn, _: Operator) -> dict[str, Any]:
        if body.dry_run:
            return {"dry_run": True, "would_drop": len(await _parked(body.ids))}
        return {"dropped": await drop_parked(runtime.db, body.ids)}

    async def _parked(ids: list[UUID] | None) -> list[MailSummary]:
        parked = await list_mail(runtime.db, "parked", limit=100_000)
        return [m for m in parked if ids is None or m.id in ids]

    return router
