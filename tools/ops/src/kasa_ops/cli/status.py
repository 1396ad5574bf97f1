"""``kasa status``: one table of every service's health, queues and outbox backlog."""

import asyncio

from rich.table import Table

from kasa_ops.cli.options import JsonFlag
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_servicekit.system_status import collect


def status(as_json: JsonFlag = False) -> None:
    """Readiness and version of every service, its queues and its outbox backlog."""
    report = asyncio.run(collect(OpsConfig.from_env()))
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
                ("yes" if service["ready"] else "[red]no[/red]") if first else "",
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
