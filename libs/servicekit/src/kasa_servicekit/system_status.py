"""What ``kasa status`` shows: each service's readiness and version, its consumer queues with
their depth, consumers and parked messages, its outbox backlog, and whether the broker answers.

One implementation for ``kasa status`` and the gateway's ``GET /api/v1/operator/status``.
"""

import asyncio
from typing import Any

import aio_pika
import httpx

from kasa_servicekit.ops_client import SERVICES, OpsTargets, get_json
from kasa_servicekit.topology import parking_queue

READY_TIMEOUT_S = 10.0
"""How long a service's readiness may take before the status calls it not ready."""


async def _service_status(targets: OpsTargets, service: str) -> dict[str, Any]:
    result: dict[str, Any] = {"service": service, "url": targets.url(service)}
    try:
        # The gateway's readiness alone may take 4 s (its database, then its upstreams).
        async with httpx.AsyncClient(timeout=READY_TIMEOUT_S) as client:
            ready = await client.get(targets.url(service) + "/health/ready")
        body = ready.json()
        result |= {
            "ready": ready.status_code == 200,
            "version": body.get("version"),
            "checks": body.get("checks"),
        }
        result["outbox"] = await get_json(targets, service, "/ops/outbox")
        result["queues"] = (await get_json(targets, service, "/ops/info"))["queues"]
    except (httpx.HTTPError, ValueError) as exc:
        result |= {"ready": False, "error": f"{type(exc).__name__}: {exc}"}
    return result


async def queue_depths(amqp_url: str, queues: list[str]) -> dict[str, dict[str, int | None]]:
    """Messages and consumers of each queue and its parking queue (passive declares)."""
    depths: dict[str, dict[str, int | None]] = {}
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        for name in queues:
            entry: dict[str, int | None] = {}
            for label, queue_name in (("", name), ("parked_", parking_queue(name))):
                channel = await connection.channel()
                try:
                    declared = await channel.declare_queue(queue_name, passive=True)
                    result = declared.declaration_result
                    entry[f"{label}messages"] = result.message_count
                    entry[f"{label}consumers"] = result.consumer_count
                except aio_pika.exceptions.ChannelClosed:
                    entry[f"{label}messages"] = entry[f"{label}consumers"] = None
                finally:
                    if not channel.is_closed:
                        await channel.close()
            depths[name] = entry
    finally:
        await connection.close()
    return depths


async def collect(targets: OpsTargets) -> dict[str, Any]:
    """Every service's status and its queues' depths: ``{"broker": …, "services": […]}``."""
    services = await asyncio.gather(*(_service_status(targets, s) for s in SERVICES))
    queue_names = [q["queue"] for s in services for q in s.get("queues", [])]
    try:
        depths = await queue_depths(targets.amqp_url, queue_names)
        broker: dict[str, Any] = {"reachable": True}
    except Exception as exc:
        depths, broker = {}, {"reachable": False, "error": f"{type(exc).__name__}: {exc}"}
    for service in services:
        for queue in service.get("queues", []):
            queue |= depths.get(queue["queue"], {})
    return {"broker": broker, "services": list(services)}
