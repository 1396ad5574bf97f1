"""The public API, called on behalf of the signed-in user: the web's only source of data.

Every call goes through the gateway with the user's own bearer token, so a page can do exactly
what a mobile client with the same token can do, and nothing more.
"""

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from kasa_servicekit.context import correlation_id_var

log = logging.getLogger("kasa.web.api")


@dataclass
class ApiTiming:
    """The API calls one page made: how many, and the wall time they took together."""

    calls: int = 0
    seconds: float = 0.0
    _open: int = 0
    _since: float = field(default=0.0)

    def start(self) -> None:
        if self._open == 0:
            self._since = time.perf_counter()
        self._open += 1
        self.calls += 1

    def stop(self) -> None:
        self._open -= 1
        if self._open == 0:
            self.seconds += time.perf_counter() - self._since


api_timing: ContextVar[ApiTiming | None] = ContextVar("kasa_web_api_timing", default=None)
"""Set per request by the page timing middleware; concurrent calls count once in the time."""


class ApiProblem(Exception):
    """The API refused: its RFC 9457 problem document, and the status it came with."""

    def __init__(self, status: int, problem: dict[str, Any], headers: httpx.Headers) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or str(status))
        self.status = status
        self.problem = problem
        self.headers = headers

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        return errors if isinstance(errors, list) else []

    @property
    def retry_after(self) -> int | None:
        value = self.headers.get("retry-after", "")
        return int(value) if value.isdigit() else None


class ApiUnavailable(Exception):
    """The gateway or the service behind it could not answer (down, or too slow)."""


class Api:
    """One pooled client to the gateway, shared by every request of this process."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=3.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The raw answer for 2xx; an ``ApiProblem`` for 4xx and ``ApiUnavailable`` for 5xx."""
        sent = {"x-request-id": correlation_id_var.get() or "", **(headers or {})}
        if token:
            sent["authorization"] = f"Bearer {token}"
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        timing = api_timing.get()
        if timing:
            timing.start()
        try:
            response = await self.client.request(
                method, path, params=clean, json=json, files=files, data=data, headers=sent
            )
        except httpx.HTTPError as exc:
            log.warning("API %s %s failed: %s", method, path, exc)
            raise ApiUnavailable(str(exc)) from exc
        finally:
            if timing:
                timing.stop()
        if response.status_code >= 500:
            log.warning("API %s %s answered %s", method, path, response.status_code)
            raise ApiUnavailable(f"{response.status_code}")
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "status": response.status_code}
            raise ApiProblem(response.status_code, problem, response.headers)
        return response

    async def json(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        response = await self.send(method, path, token, **kwargs)
        return response.json() if response.content else None
