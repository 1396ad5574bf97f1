"""Each write route's minimum role: stated in the OpenAPI document, checked before the body.

A route declares its minimum role once, by its principal dependency (``MemberPrincipal``,
``AdminPrincipal``… in ``kasa_servicekit.auth``). At startup the service reads that
dependency off every route and

- marks the operation with ``x-kasa-min-role``, so the merged API document states the role
  matrix the services really enforce;
- checks the role before FastAPI reads the request body: a viewer's upload is never parsed,
  and a refused caller learns nothing from validation errors about a body it may not send.

A route whose rule depends on its arguments (leaving a workspace yourself versus removing
someone else) declares the mark by hand: ``openapi_extra={MIN_ROLE: "admin"}``; its use case
enforces it. Operations open to callers without a token say ``public``; the instance
operator's say ``operator`` (``OperatorPrincipal``), which no workspace role reaches.
"""

from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kasa_servicekit.auth import (
    MIN_ROLE,
    OPERATOR,
    ROLE_RANK,
    RoleDependency,
    current_principal,
    role_at_least,
)

PUBLIC = "public"
"""The mark of an operation that takes no token (registration, sign-in, refresh, logout)."""
MARK_RANK = {**ROLE_RANK, OPERATOR: len(ROLE_RANK)}
"""The workspace roles, lowest first, then the instance operator, whom none of them reaches."""
MARKS = (PUBLIC, *sorted(MARK_RANK, key=MARK_RANK.__getitem__))
"""Every value ``x-kasa-min-role`` takes, lowest first."""


def _role_dependencies(dependant: Dependant) -> Iterator[RoleDependency]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleDependency):
            yield sub.call
        yield from _role_dependencies(sub)


def declared_role(route: APIRoute) -> str | None:
    """The highest minimum role the route's dependencies ask for, if any."""
    found = [dependency.minimum for dependency in _role_dependencies(route.dependant)]
    return max(found, key=MARK_RANK.__getitem__) if found else None


def _gated(route: APIRoute, dependency: RoleDependency) -> None:
    """Check the role in the route's handler, before FastAPI reads or validates the body."""
    build_handler = route.get_route_handler

    def gated_handler() -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = build_handler()

        async def gate(request: Request) -> Response:
            # Raised here, the problem reaches the app's handlers like any route's error.
            dependency.check(await current_principal(request))
            return await handle(request)

        return gate

    # FastAPI builds the handler of each inclusion of the route through this method.
    route.get_route_handler = gated_handler  # type: ignore[method-assign]


def enforce_minimum_roles(routers: Iterable[APIRouter]) -> None:
    """Mark and gate every route of ``routers`` that declares a minimum role.

    Runs before the routers are included in the app, so that every copy FastAPI makes of a
    route has the mark and the gate.
    """
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                _enforce(route)


def _enforce(route: APIRoute) -> None:
    extra: dict[str, Any] = dict(route.openapi_extra or {})
    stated = extra.get(MIN_ROLE)
    if stated is not None and stated not in MARKS:
        raise ValueError(f"{route.path}: unknown {MIN_ROLE} {stated!r}")
    role = declared_role(route)
    if role is None or getattr(route, "_kasa_gated", False):
        return
    if stated is not None and stated != role:
        raise ValueError(f"{route.path}: {MIN_ROLE} says {stated}, its dependency {role}")
    extra[MIN_ROLE] = role
    route.openapi_extra = extra
    _gated(route, role_at_least(role))
    route._kasa_gated = True  # type: ignore[attr-defined]  # a router is built into many apps
