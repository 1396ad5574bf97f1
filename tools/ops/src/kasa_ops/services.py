"""Talking to the services' internal /ops endpoints."""

from typing import Any

import httpx

from kasa_ops.config import OpsConfig


async def get_json(config: OpsConfig, service: str, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(timeout=10, headers=config.headers) as client:
        response = await client.get(config.url(service) + path, params=params or None)
        response.raise_for_status()
        return response.json()


async def post_json(config: OpsConfig, service: str, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(timeout=60, headers=config.headers) as client:
        response = await client.post(config.url(service) + path, json=body)
        response.raise_for_status()
        return response.json()


async def service_queues(config: OpsConfig, service: str) -> dict[str, list[str]]:
    """The consumer queues of a service and the routing keys bound to each."""
    info = await get_json(config, service, "/ops/info")
    return {q["queue"]: q["routing_keys"] for q in info["queues"]}
