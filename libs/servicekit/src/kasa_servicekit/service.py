"""Builds a Kasa service: its FastAPI apps with their database, outbox relay and consumers.

A service has two listeners on one app: the public one (its API, on ``PORT``) and the ops
listener (``/metrics``, ``/ops/*`` and ``/internal/*``, on ``OPS_HOST``:``OPS_PORT``, loopback
by default). Each answers 404 for the other's paths; see ``operations.ListenerGuard``.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry import trace
from prometheus_client import Histogram
from sqlalchemy import MetaData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasa_contracts.events.identity import SessionRevoked
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.bus import Bus, broker_user
from kasa_servicekit.consumers import (
    InstanceConsumer,
    InstanceSubscription,
    SenderPolicy,
    Subscription,
    consumer_for,
)
from kasa_servicekit.context import correlation_id_var
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.leases import PeriodicJob, replica_id, run_periodically
from kasa_servicekit.logs import configure_logging
from kasa_servicekit.mail_relay import MailRelay
from kasa_servicekit.minimum_roles import enforce_minimum_roles
from kasa_servicekit.operations import (
    FailedTokens,
    ListenerGuard,
    OpsListener,
    health_router,
    operations_router,
)
from kasa_servicekit.outbox import OutboxRelay
from kasa_servicekit.problems import install_problem_handlers
from kasa_servicekit.revocations import RevokedSessions, http_snapshot, snapshot_url
from kasa_servicekit.settings import ServiceSettings
from kasa_servicekit.topology import QueuePolicy
from kasa_servicekit.tracing import configure_tracing, extract_context, tracer

log = logging.getLogger("kasa.service")

REQUEST_SECONDS = Histogram(
    "kasa_http_request_seconds", "HTTP request time", ["method", "route", "status"]
)

StartupHook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ServiceSpec:
    """What makes one service: its name, settings, tables, routes and subscriptions."""

    name: str
    version: str
    settings: ServiceSettings
    metadata: MetaData
    migrations: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription | InstanceSubscription] = ()
    """One typed line per queue, e.g. ``Subscription.of("ledger.invoices", {InvoiceIssued: …})``."""
    on_startup: Sequence[StartupHook] = ()
    """Run once the database is open, before traffic (e.g. recover interrupted work)."""
    background: Sequence[Callable[["Runtime"], Awaitable[None]]] = ()
    """Long-running tasks started with every replica and cancelled at shutdown."""
    periodic: Sequence[PeriodicJob] = ()
    """Scheduled work one replica at a time runs, under a lease; the service's migrations
    include ``lease_metadata``."""
    configure_app: Callable[[FastAPI], None] | None = None
    sends_mail: bool = False
    """The service queues mail (its migrations include ``mail_metadata``): run the mail relay
    and serve ``/ops/mail``."""


@dataclass
class Runtime:
    """The live parts of a running service, shared with routes through ``app.state``."""

    spec: ServiceSpec
    settings: ServiceSettings
    db: Database
    bus: Bus
    events: EventWriter
    """The service's one event writer; its producer is the spec's name."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    replica: str = field(default_factory=replica_id)
    """This process among the service's replicas, as its job leases name it."""

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Cancel the background tasks and wait for them, at most ``grace_seconds``.

        A task is cancelled again each second it keeps running: a cancellation that an
        ``asyncio.wait_for`` swallowed (Python 3.11) must not hold the process up forever.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        pending = set(self.tasks)
        while pending and loop.time() < deadline:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=min(1.0, grace_seconds))
        if pending:
            log.error(
                "background tasks still running at shutdown: %s",
                ", ".join(sorted(task.get_name() for task in pending)),
            )

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception():
            log.error("background task %s died", task.get_name(), exc_info=task.exception())


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


# A coroutine: FastAPI runs a plain function dependency in its thread pool, a thread hand-off
# per request for an attribute lookup.
async def get_db(request: Request) -> Database:
    return request.app.state.runtime.db


Db = Annotated[Database, Depends(get_db)]
"""The service's database; open a unit of work with ``async with db.transaction() as s``."""


async def get_events(request: Request) -> EventWriter:
    return request.app.state.runtime.events


Events = Annotated[EventWriter, Depends(get_events)]
"""The service's event writer, for use cases that change something."""


def create_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    configure_logging(spec.name, settings.log_level, settings.log_format)
    configure_tracing(spec.name, settings.otel_exporter)
    db = Database(settings.database_url)
    policy = QueuePolicy(
        delivery_limit=settings.consumer_delivery_limit,
        retry_delay_ms=settings.consumer_retry_delay_ms,
        archive_max_age=settings.archive_max_age,
    )
    events = EventWriter(spec.name)
    for sub in spec.subscriptions:
        name = sub.queue if isinstance(sub, Subscription) else sub.name
        if not name.startswith(f"{spec.name}."):
            # The service's broker user may read only queues named after it.
            raise ValueError(f"queue {name} of {spec.name} must start with {spec.name}.")
    senders = sender_policy(settings)
    revoked = RevokedSessions(
        http_snapshot(settings.revoked_sessions_url or snapshot_url(settings.jwks_url))
    )
    # Part of verifying tokens, not of the service's own work: on even with RUN_CONSUMERS off.
    consumers: list[Any] = [
        InstanceConsumer(revocation_subscription(spec.name, revoked), senders=senders)
    ]
    for sub in spec.subscriptions if settings.run_consumers else ():
        if isinstance(sub, InstanceSubscription):
            consumers.append(InstanceConsumer(sub, senders=senders))
            continue
        consumers.append(
            consumer_for(
                sub,
                db,
                events,
                max_attempts=settings.consumer_max_attempts,
                prefetch=settings.consumer_prefetch,
                senders=senders,
            )
        )
    bus = Bus(settings.amqp_url, policy, consumers)
    runtime = Runtime(spec, settings, db, bus, events)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in spec.on_startup:
            await hook(runtime)
        runtime.spawn(bus.run(), "bus")
        runtime.spawn(
            revoked.keep_up(lambda: bus.connected, settings.revocation_poll_seconds),
            "revoked-sessions",
        )
        if settings.run_relay:
            relay = OutboxRelay(
                db,
                bus,
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
                retention=timedelta(hours=settings.outbox_retention_hours),
            )
            runtime.spawn(relay.run(), "outbox-relay")
        if spec.sends_mail and settings.run_mail_relay:
            if (server := settings.smtp_server) is not None:
                mail = MailRelay(
                    db,
                    server,
                    settings.mail_from,
                    max_attempts=settings.mail_max_attempts,
                    first_backoff=timedelta(seconds=settings.mail_retry_seconds),
                )
                runtime.spawn(mail.run(), "mail-relay")
            else:
                log.warning("SMTP_HOST is not set: mail is queued and waits until it is")
        for job in spec.background:
            runtime.spawn(job(runtime), getattr(job, "__name__", "background"))
        for periodic in spec.periodic:
            runtime.spawn(run_periodically(runtime, periodic, runtime.replica), periodic.name)
        log.info("%s %s started", spec.name, spec.version)
        yield
        await runtime.stop()
        await db.dispose()

    app = FastAPI(
        title=f"Kasa {spec.name}",
        version=spec.version,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        # The request-context middleware makes the one server span per request; FastAPI's own
        # would add a second one plus spans per dependency and serialization, a fifth of the
        # gateway's time per proxied request.
        telemetry={"tracing": False},
    )
    app.state.runtime = runtime
    app.state.revoked_sessions = revoked
    app.state.verifier = JwksVerifier(
        settings.jwks_url, settings.jwt_issuer, settings.jwt_audience, revoked=revoked
    )
    install_problem_handlers(app)
    _install_request_context(app)
    app.state.failed_tokens = FailedTokens(settings.ops_failures_per_minute)
    app.include_router(health_router(runtime))
    app.include_router(operations_router(runtime))
    enforce_minimum_roles(spec.routers)
    for router in spec.routers:
        app.include_router(router)
    if spec.configure_app:
        spec.configure_app(app)
    # Added last, so outermost: before the service's own middleware and catch-all routes.
    app.add_middleware(ListenerGuard)
    return app


def ops_app(app: FastAPI) -> OpsListener:
    """The app as the ops listener serves it (``OPS_PORT``): only its ops paths and health.

    Tests drive a service's ops endpoints through it, as ``kasa`` reaches them.
    """
    return OpsListener(app)


def revocation_subscription(service: str, revoked: RevokedSessions) -> InstanceSubscription:
    """Every instance's own queue of ``identity.session.revoked``, feeding its deny set; on
    each (re)connection the gateway's list covers what was missed meanwhile."""
    return InstanceSubscription(
        f"{service}.revocations",
        (SessionRevoked.routing_key(),),
        revoked.handle,
        on_listening=revoked.catch_up,
    )


def sender_policy(settings: ServiceSettings) -> SenderPolicy | None:
    """Who consumers accept events from; None (with a loud warning) when the check is off."""
    own = broker_user(settings.amqp_url)
    if not settings.event_sender_check:
        log.warning(
            "EVENT_SENDER_CHECK is off: this service applies events from ANY broker user, so "
            "whoever can publish to the broker can forge any service's events; give every "
            "service its own broker user and turn the check on (production requires it)"
        )
        return None
    if own is None:
        raise ValueError("EVENT_SENDER_CHECK needs AMQP_URL to name the service's broker user")
    return SenderPolicy(own, settings.broker_user, settings.event_replay_user)


def _install_request_context(app: FastAPI) -> None:
    app.add_middleware(RequestContext)


class RequestContext:
    """Request id, correlation id, server span and request timing around every HTTP request.

    Echoes ``X-Request-ID`` (made up when absent), sets the correlation id from
    ``X-Correlation-ID`` or the request id, continues the caller's trace (``traceparent``) in
    a server span and times the request by route template. Plain ASGI rather than
    ``@app.middleware("http")``: that wrapper runs the app in a task of its own and relays
    the response through a memory stream, which cost more than the rest of a small request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._tracer: trace.Tracer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # First value of each header, as a Starlette ``Headers`` lookup would give.
        headers: dict[str, str] = {}
        for key, value in scope["headers"]:
            name = key.decode("latin-1").lower()
            if name not in headers:
                headers[name] = value.decode("latin-1")
        request_id = headers.get("x-request-id") or str(uuid.uuid4())
        echoed = (b"x-request-id", request_id.encode("latin-1"))
        token = correlation_id_var.set(headers.get("x-correlation-id") or request_id)
        method = scope["method"]
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() != echoed[0]]
                message["headers"] = [*kept, echoed]
            await send(message)

        if self._tracer is None:
            # Once, not per request: each lookup builds a new tracer object.
            self._tracer = tracer()
        try:
            # Named by the route template once it is known, never by the path: a path can
            # carry a secret (a portal token) that must not reach the trace backend.
            with self._tracer.start_as_current_span(
                method, context=extract_context(headers), kind=trace.SpanKind.SERVER
            ) as span:
                try:
                    await self.app(scope, receive, send_with_request_id)
                finally:
                    route = getattr(scope.get("route"), "path", "unmatched")
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_SECONDS.labels(method, route, str(status)).observe(
                time.perf_counter() - started
            )
            correlation_id_var.reset(token)
