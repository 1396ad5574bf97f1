"""Per-user API rate limit with ``RateLimit-*`` headers on every answer.

The caller is the verified token's user; without a valid token, the client address. Every
``/api/`` request passes here, and the limit is shared by all gateway instances: its limiter
lets most hits through on budget claimed ahead (``db/rate_limits.py``), so a request seldom
waits for the database.
"""

import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasa_gateway.domain.client_address import throttle_key
from kasa_gateway.domain.rate_limits import Limiter, api_caller_key
from kasa_gateway.guards import client_address, header, send_problem
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.problems import ProblemError

_CACHE_SIZE = 10_000
# Registration and sign-in have limits of their own (per address and per account).
OWN_LIMITS = {"/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/auth/session"}


class ApiRateLimit:
    def __init__(self, app: ASGIApp, state: Callable[[], Any]) -> None:
        self.app = app
        self.state = state
        # Verified tokens → (user id, expiry): a signature check per request is wasted work.
        self._users: dict[str, tuple[str, float]] = {}

    async def caller(self, scope: Scope) -> str:
        scheme, _, token = (header(scope, b"authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            cached = self._users.get(token)
            if cached and cached[1] > time.time():
                return cached[0]
            try:
                verifier: JwksVerifier = self.state().verifier
                principal = await verifier.verify(token)
            except ProblemError:
                pass
            else:
                if len(self._users) >= _CACHE_SIZE:
                    self._users.clear()
                # An expired token may keep counting against its user for a few minutes;
                # the services refuse it anyway.
                key = api_caller_key(principal.user_id)
                self._users[token] = (key, time.time() + 300)
                return key
        return f"address:{throttle_key(client_address(scope, self.state()))}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/api/")
            or scope["path"] in OWN_LIMITS
        ):
            await self.app(scope, receive, send)
            return
        limiter: Limiter = self.state().limiters.api_per_user
        decision = await limiter.hit(await self.caller(scope))
        headers = {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_after),
            "RateLimit-Policy": f"{decision.limit};w={limiter.window}",
        }
        if not decision.allowed:
            await send_problem(
                send,
                429,
                "Too Many Requests",
                "the API rate limit is exhausted; see RateLimit-Reset",
                scope["path"],
                {**headers, "Retry-After": str(decision.reset_after)},
            )
            return
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *raw]
            await send(message)

        await self.app(scope, receive, send_with_headers)
