"""``kasa status``: readiness, versions, queues and outbox backlog of every service."""

import asyncio
from typing import Any

import aio_pika
import httpx

from kasa_ops.config import SERVICES, OpsConfig
from kasa_ops.services import get_json
from kasa_servicekit.topology import parking_queue


async def _service_status(config: OpsConfig, service: str) -> dict[str, Any]:
    result: dict[str, Any] = {"service": service, "url": config.url(service)}
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            ready = await client.get(config.url(service) + "/health/ready")
        body = ready.json()
        result |= {
            "ready": ready.status_code == 200,
            "version": body.get("version"),
            "checks": body.get("checks"),
        }
        result["outbox"] = await get_json(config, service, "/ops/outbox")
        result["queues"] = (await get_json(config, service, "/ops/info"))["queues"]
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


async def collect(config: OpsConfig) -> dict[str, Any]:
    services = await asyncio.gather(*(_service_status(config, s) for s in SERVICES))
    queue_names = [q["queue"] for s in services for q in s.get("queues", [])]
    try:
        depths = await queue_depths(config.amqp_url, queue_names)
        broker: dict[str, Any] = {"reachable": True}
    except Exception as exc:
        depths, broker = {}, {"reachable": False, "error": f"{type(exc).__name__}: {exc}"}
    for service in services:
        for queue in service.get("queues", []):
            queue |= depths.get(queue["queue"], {})
    return {"broker": broker, "services": list(services)}
