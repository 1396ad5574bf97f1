"""Running a replay from the command line: for ``kasa replay`` and the rebuilds that replay.

Picks the target service's queues, reads the chosen archive with a progress bar, and reports
the counts in the shape every replaying command prints.
"""

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn

from kasa_ops.cli.options import utc
from kasa_ops.cli.output import console, fail
from kasa_ops.config import OpsConfig
from kasa_ops.replay import ReplayFilter, ReplayProgress, replay_from_audit, replay_from_stream
from kasa_ops.services import audit_archive_reader, service_queues

EPOCH = "1970-01-01T00:00:00+00:00"


def selection(
    config: OpsConfig,
    service: str,
    since: str,
    until: str | None,
    event_types: list[str] | None,
    workspace: str | None,
) -> ReplayFilter:
    """The events to replay into every queue ``service`` consumes; exits if it has none."""
    queues = asyncio.run(service_queues(config, service))
    if not queues:
        raise typer.Exit(code=fail(f"{service} consumes no events"))
    return ReplayFilter(
        queues=queues,
        since=utc(since),
        until=utc(until) if until else None,
        event_types=tuple(event_types or ()),
        workspace_id=workspace,
    )


def run(
    config: OpsConfig,
    service: str,
    chosen: ReplayFilter,
    source: str,
    dry_run: bool,
    rate: float | None,
    checkpoint: Path | None,
    idle: float,
    quiet: bool,
) -> ReplayProgress:
    """Replay from ``source`` (``stream`` or ``audit``), showing progress unless ``quiet``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(f"replaying into {service}", total=None, info="")

        def show(p: ReplayProgress) -> None:
            bar.update(task, info=f"read {p.read} matched {p.matched} published {p.published}")

        if source == "audit":
            reader = audit_archive_reader(
                config,
                {
                    "since": chosen.since.isoformat(),
                    "until": chosen.until.isoformat() if chosen.until else None,
                    "event_type": list(chosen.event_types) or None,
                    "workspace_id": chosen.workspace_id,
                    "limit": 1000,
                },
            )
            return asyncio.run(
                replay_from_audit(
                    config.amqp_url,
                    reader,
                    chosen,
                    dry_run=dry_run,
                    rate=rate,
                    checkpoint=checkpoint,
                    on_progress=show,
                )
            )
        if source == "stream":
            return asyncio.run(
                replay_from_stream(
                    config.amqp_url,
                    chosen,
                    dry_run=dry_run,
                    rate=rate,
                    checkpoint=checkpoint,
                    idle_seconds=idle,
                    on_progress=show,
                )
            )
    raise typer.Exit(code=fail("--from is stream or audit"))


def report(
    service: str, source: str, chosen: ReplayFilter, result: ReplayProgress, dry_run: bool
) -> dict[str, Any]:
    """What a replay did, as ``--json`` prints it."""
    return {
        "service": service,
        "source": source,
        "queues": sorted(chosen.queues),
        "read": result.read,
        "matched": result.matched,
        "published": result.published,
        "dry_run": dry_run,
    }
