"""Reaching the services' ops listeners as an operator: where they are, the token, a GET.

``kasa`` and the gateway's operator API both read the system through these listeners
(``/health/ready``, ``/ops/info``, ``/ops/outbox``, ``/ops/mail``), never through a service's
public port.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

SERVICES = ("gateway", "integrations", "ledger", "invoicing", "audit")
"""The services of an instance that have an ops listener, in the order ``kasa status`` shows."""
MAIL_SERVICES = ("gateway", "invoicing")
"""The services that send mail, each from its own outbox (ADR 0023): ``/ops/mail``."""


@dataclass(frozen=True)
class OpsTargets:
    """Where an operator reaches the system: the broker as the replay user, each service's ops
    listener, and the operator token those listeners want."""

    amqp_url: str
    service_urls: Mapping[str, str] = field(default_factory=dict)
    """Each service's ops listener."""
    ops_token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ops_token}"} if self.ops_token else {}

    @property
    def broker_user(self) -> str | None:
        """The broker user replays and requeues are published as; set as their ``user_id``."""
        username = urlsplit(self.amqp_url).username
        return unquote(username) if username else None

    def url(self, service: str) -> str:
        if service not in self.service_urls:
            raise KeyError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
        return self.service_urls[service]


async def get_json(targets: OpsTargets, service: str, path: str, **params: Any) -> Any:
    """``GET`` a service's ops endpoint with the operator token; raises on any failure."""
    async with httpx.AsyncClient(timeout=10, headers=targets.headers) as client:
        response = await client.get(targets.url(service) + path, params=params or None)
        response.raise_for_status()
        return response.json()


async def post_json(targets: OpsTargets, service: str, path: str, body: dict[str, Any]) -> Any:
    """``POST`` to a service's ops endpoint with the operator token; raises on any failure."""
    async with httpx.AsyncClient(timeout=60, headers=targets.headers) as client:
        response = await client.post(targets.url(service) + path, json=body)
        response.raise_for_status()
        return response.json()
