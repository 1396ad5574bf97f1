"""``kasa status``: one table of every service's health, queues and outbox backlog.

A service listed with several replicas (``KASA_<SERVICE>_OPS_URL`` with commas) is ready only
when every replica is; each one's readiness is in its ``replicas``.
"""

import asyncio
from typing import Any

import httpx
from rich.table import Table

from kasa_ops.cli.options import JsonFlag
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_servicekit.system_status import READY_TIMEOUT_S, collect


async def _replica(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=READY_TIMEOUT_S) as client:
            ready = await client.get(url + "/health/ready")
        body = ready.json()
        return {
            "url": url,
            "ready": ready.status_code == 200,
            "version": body.get("version"),
            "checks": body.get("checks"),
        }
    except (httpx.HTTPError, ValueError) as exc:
        return {"url": url, "ready": False, "error": f"{type(exc).__name__}: {exc}"}


async def with_replicas(config: OpsConfig) -> dict[str, Any]:
    """The system's status, each service's readiness that of all its replicas."""
    report = await collect(config)
    for service in report["services"]:
        urls = config.replica_urls.get(service["service"], ())
        if len(urls) < 2:
            continue
        first = {k: service.get(k) for k in ("url", "ready", "version", "checks", "error")}
        others = await asyncio.gather(*(_replica(url) for url in urls[1:]))
        service["replicas"] = [{k: v for k, v in first.items() if v is not None}, *others]
        service["ready"] = all(replica["ready"] for replica in service["replicas"])
    return report


def _readiness(service: dict[str, Any]) -> str:
    replicas = service.get("replicas")
    if not replicas:
        return "yes" if service["ready"] else "[red]no[/red]"
    ready = sum(1 for replica in replicas if replica["ready"])
    text = f"{ready}/{len(replicas)}"
    return text if ready == len(replicas) else f"[red]{text}[/red]"


def status(as_json: JsonFlag = False) -> None:
    """Readiness and version of every service (of each replica), its queues and its outbox
    backlog."""
    report = asyncio.run(with_replicas(OpsConfig.from_env()))
    if emit(report, as_json):
        return
    table = Table(
        "service",
        "ready",
        "version",
        "outbox waiting",
        "oldest (s)",
        "queue",
        "messages",
        "consumers",
        "parked",
    )
    for service in report["services"]:
        box = service.get("outbox") or {}
        queues = service.get("queues") or [{}]
        for i, queue in enumerate(queues):
            first = i == 0
            table.add_row(
                service["service"] if first else "",
                _readiness(service) if first else "",
                str(service.get("version") or "-") if first else "",
                str(box.get("waiting", "-")) if first else "",
                str(box.get("oldest_age_s") or "-") if first else "",
                queue.get("queue", "-"),
                str(queue.get("messages", "-")),
                str(queue.get("consumers", "-")),
                str(queue.get("parked_messages", "-")),
            )
    console.print(table)
    if not report["broker"]["reachable"]:
        console.print(f"[red]broker unreachable:[/red] {report['broker']['error']}")
