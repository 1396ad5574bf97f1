"""Talking to the services' internal /ops endpoints (``get_json`` and ``post_json`` are the
kit's, shared with the gateway's operator API)."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from kasa_ops.config import OpsConfig
from kasa_servicekit.ops_client import get_json, post_json

__all__ = ["audit_archive_reader", "get_json", "post_json", "service_queues"]


async def service_queues(config: OpsConfig, service: str) -> dict[str, list[str]]:
    """The consumer queues of a service and the routing keys bound to each."""
    info = await get_json(config, service, "/ops/info")
    return {q["queue"]: q["routing_keys"] for q in info["queues"]}


def audit_archive_reader(
    config: OpsConfig, selection_params: dict[str, Any]
) -> Callable[[str | None], Awaitable[tuple[list[dict[str, str]], str | None]]]:
    """Pages of audit's permanent event archive (``/internal/archive``)."""

    async def read(cursor: str | None) -> tuple[list[dict[str, str]], str | None]:
        params = {k: v for k, v in selection_params.items() if v is not None}
        if cursor:
            params["after"] = cursor
        async with httpx.AsyncClient(timeout=60, headers=config.headers) as client:
            response = await client.get(config.url("audit") + "/internal/archive", params=params)
            response.raise_for_status()
        lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        return lines, response.headers.get("x-next-cursor")

    return read
