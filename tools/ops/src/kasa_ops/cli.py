"""The ``kasa`` command for operators."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from kasa_ops import dead_letters
from kasa_ops.chain_anchors import check_anchors, read_anchors
from kasa_ops.config import OpsConfig
from kasa_ops.replay import (
    ReplayFilter,
    ReplayProgress,
    replay_from_audit,
    replay_from_stream,
)
from kasa_ops.services import audit_archive_reader, get_json, post_json, service_queues
from kasa_ops.status import collect

app = typer.Typer(
    help="Operate Kasa: status, dead letters, replay, outbox and audit.", no_args_is_help=True
)
dlq = typer.Typer(help="Parked (dead-lettered) messages of a consumer queue.", no_args_is_help=True)
outbox = typer.Typer(
    help="Events services wrote but the broker has not confirmed.", no_args_is_help=True
)
audit = typer.Typer(help="The audit trail.", no_args_is_help=True)
ledger = typer.Typer(help="Ledger-owned rebuilds.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")
app.add_typer(outbox, name="outbox")
app.add_typer(audit, name="audit")
app.add_typer(ledger, name="ledger")

console = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
Queue = Annotated[
    str, typer.Option("--queue", "-q", help="Consumer queue, e.g. ledger.transactions")
]
EventType = Annotated[str | None, typer.Option("--event-type", help="Routing-key prefix")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="At most this many messages")]
MessageIds = Annotated[list[str] | None, typer.Option("--message-id", help="Only these ids")]


def _utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _emit(data: Any, as_json: bool) -> bool:
    if as_json:
        typer.echo(json.dumps(data, default=str, indent=2))
    return as_json


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """Readiness and version of every service, its queues and its outbox backlog."""
    report = asyncio.run(collect(OpsConfig.from_env()))
    if _emit(report, as_json):
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


@dlq.command("list")
def dlq_list(
    queue: Queue, event_type: EventType = None, limit: Limit = 50, as_json: JsonFlag = False
) -> None:
    """List parked messages with their error and attempt count."""
    found = asyncio.run(
        dead_letters.list_parked(
            OpsConfig.from_env().amqp_url, queue, event_type=event_type, limit=limit
        )
    )
    if _emit([m.summary() for m in found], as_json):
        return
    table = Table("message id", "event type", "attempts", "failed at", "error")
    for m in found:
        table.add_row(
            str(m.message_id),
            str(m.event_type),
            str(m.attempts),
            str(m.failed_at),
            (m.error or "")[:80],
        )
    console.print(table)


@dlq.command("show")
def dlq_show(
    queue: Queue,
    message_id: Annotated[str, typer.Option("--message-id")],
    as_json: JsonFlag = False,
) -> None:
    """Show one parked message in full: headers and body."""
    found = asyncio.run(
        dead_letters.list_parked(
            OpsConfig.from_env().amqp_url, queue, message_ids={message_id}, limit=1
        )
    )
    if not found:
        raise typer.Exit(code=_fail(f"no parked message {message_id} in {queue}.parked"))
    message = found[0]
    data = {
        **message.summary(),
        "headers": message.headers,
        "body": message.body.decode(errors="replace"),
    }
    if not _emit(data, as_json):
        console.print_json(json.dumps(data, default=str))


@dlq.command("requeue")
def dlq_requeue(
    queue: Queue,
    event_type: EventType = None,
    limit: Limit = 50,
    message_id: MessageIds = None,
    as_json: JsonFlag = False,
) -> None:
    """Send parked messages back to their queue (same message id, so inboxes dedupe)."""
    done = asyncio.run(
        dead_letters.requeue(
            OpsConfig.from_env().amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=set(message_id or []),
        )
    )
    if not _emit({"requeued": done}, as_json):
        console.print(f"requeued {len(done)} message(s) to {queue}")


@dlq.command("discard")
def dlq_discard(
    queue: Queue,
    event_type: EventType = None,
    limit: Limit = 50,
    message_id: MessageIds = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Drop parked messages for good."""
    if not yes and not typer.confirm(f"Drop up to {limit} parked message(s) of {queue}?"):
        raise typer.Exit(code=1)
    done = asyncio.run(
        dead_letters.discard(
            OpsConfig.from_env().amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=set(message_id or []),
        )
    )
    if not _emit({"discarded": done}, as_json):
        console.print(f"discarded {len(done)} message(s) from {queue}.parked")


@app.command()
def replay(
    service: Annotated[str, typer.Option("--service", help="Target service, e.g. ledger")],
    since: Annotated[str, typer.Option("--since", help="ISO time to replay from")],
    until: Annotated[str | None, typer.Option("--until", help="ISO time to stop at")] = None,
    event_type: Annotated[list[str] | None, typer.Option("--event-type")] = None,
    workspace: Annotated[str | None, typer.Option("--workspace")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, publish nothing")] = False,
    rate: Annotated[float | None, typer.Option("--rate", help="Events per second")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Progress file; an existing one resumes the replay"),
    ] = None,
    idle: Annotated[float, typer.Option("--idle", help="Stop after this many idle seconds")] = 3.0,
    source: Annotated[
        str,
        typer.Option("--from", help="stream (recent, default) or audit (the permanent archive)"),
    ] = "stream",
    as_json: JsonFlag = False,
) -> None:
    """Replay archived events into one service's queues, and no one else's."""
    config = OpsConfig.from_env()
    selection = _selection(config, service, since, until, event_type, workspace)
    result = _replay(config, service, selection, source, dry_run, rate, checkpoint, idle, as_json)
    data = _replay_report(service, source, selection, result, dry_run)
    if not _emit(data, as_json):
        console.print(
            f"read {result.read}  matched {result.matched}  "
            f"published {result.published}{'  (dry run)' if dry_run else ''}"
        )


@ledger.command("rebuild-invoices")
def ledger_rebuild_invoices(
    source: Annotated[
        str, typer.Option("--from", help="stream (default) or audit (events older than it)")
    ] = "stream",
    idle: Annotated[float, typer.Option("--idle", help="Stop after this many idle seconds")] = 3.0,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Clear the ledger's invoice projection, then rebuild it by replaying invoicing's events."""
    if not yes and not typer.confirm("Clear and rebuild the ledger's invoice projection?"):
        raise typer.Exit(code=1)
    config = OpsConfig.from_env()
    selection = _selection(config, "ledger", EPOCH, None, ["invoicing.invoice."], None)
    selection.queues = {q: keys for q, keys in selection.queues.items() if q == "ledger.invoices"}
    cleared = asyncio.run(post_json(config, "ledger", "/ops/ledger/invoice-projection/reset", {}))
    result = _replay(config, "ledger", selection, source, False, None, None, idle, as_json)
    data = {**cleared, **_replay_report("ledger", source, selection, result, False)}
    if not _emit(data, as_json):
        console.print(
            f"cleared {cleared['invoices_cleared']} invoice(s); replayed {result.matched} "
            f"invoice event(s) into {', '.join(sorted(selection.queues))}"
        )


EPOCH = "1970-01-01T00:00:00+00:00"


def _selection(
    config: OpsConfig,
    service: str,
    since: str,
    until: str | None,
    event_types: list[str] | None,
    workspace: str | None,
) -> ReplayFilter:
    queues = asyncio.run(service_queues(config, service))
    if not queues:
        raise typer.Exit(code=_fail(f"{service} consumes no events"))
    return ReplayFilter(
        queues=queues,
        since=_utc(since),
        until=_utc(until) if until else None,
        event_types=tuple(event_types or ()),
        workspace_id=workspace,
    )


def _replay(
    config: OpsConfig,
    service: str,
    selection: ReplayFilter,
    source: str,
    dry_run: bool,
    rate: float | None,
    checkpoint: Path | None,
    idle: float,
    quiet: bool,
) -> ReplayProgress:
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
                    "since": selection.since.isoformat(),
                    "until": selection.until.isoformat() if selection.until else None,
                    "event_type": list(selection.event_types) or None,
                    "workspace_id": selection.workspace_id,
                    "limit": 1000,
                },
            )
            return asyncio.run(
                replay_from_audit(
                    config.amqp_url,
                    reader,
                    selection,
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
                    selection,
                    dry_run=dry_run,
                    rate=rate,
                    checkpoint=checkpoint,
                    idle_seconds=idle,
                    on_progress=show,
                )
            )
    raise typer.Exit(code=_fail("--from is stream or audit"))


def _replay_report(
    service: str, source: str, selection: ReplayFilter, result: ReplayProgress, dry_run: bool
) -> dict[str, Any]:
    return {
        "service": service,
        "source": source,
        "queues": sorted(selection.queues),
        "read": result.read,
        "matched": result.matched,
        "published": result.published,
        "dry_run": dry_run,
    }


@outbox.command("status")
def outbox_status(
    service: Annotated[str, typer.Option("--service")], as_json: JsonFlag = False
) -> None:
    """How many events wait in a service's outbox, and how old the oldest is."""
    data = asyncio.run(get_json(OpsConfig.from_env(), service, "/ops/outbox"))
    if not _emit(data, as_json):
        console.print(f"{service}: {data['waiting']} waiting, oldest {data['oldest_age_s']} s")


@outbox.command("republish")
def outbox_republish(
    service: Annotated[str, typer.Option("--service")],
    since: Annotated[str, typer.Option("--since")],
    until: Annotated[str | None, typer.Option("--until")] = None,
    event_type: EventType = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish a service's events written since a time again (consumers dedupe)."""
    body = {
        "since": _utc(since).isoformat(),
        "event_type": event_type,
        "until": _utc(until).isoformat() if until else None,
    }
    data = asyncio.run(post_json(OpsConfig.from_env(), service, "/ops/outbox/republish", body))
    if not _emit(data, as_json):
        console.print(f"{service}: {data['republished']} event(s) queued for publishing again")


@audit.command("verify")
def audit_verify(
    workspace: Annotated[str | None, typer.Option("--workspace")] = None,
    anchors: Annotated[
        bool,
        typer.Option(
            "--anchors",
            help="Also check the chain anchors kept in the archive stream against the trail",
        ),
    ] = False,
    idle: Annotated[
        float, typer.Option("--idle", help="Stop reading the stream after this many idle seconds")
    ] = 3.0,
    as_json: JsonFlag = False,
) -> None:
    """Check the audit hash chain of one workspace, or of all."""
    config = OpsConfig.from_env()
    params = {"workspace_id": workspace} if workspace else {}
    data = asyncio.run(get_json(config, "audit", "/ops/audit/verify", **params))
    if anchors:
        checked = _check_anchors(config, workspace, idle)
        data = {"ok": data.get("ok", False) and checked["ok"], "chain": data, "anchors": checked}
    if not _emit(data, as_json):
        console.print(json.dumps(data, indent=2, default=str))
        if anchors and not data["anchors"]["read"]:
            console.print("[yellow]no chain anchors in the archive stream to check[/yellow]")
        for failure in data.get("anchors", {}).get("failed", []):
            console.print(
                f"[red]workspace {failure['workspace_id']} entry {failure['seq']}: "
                f"{failure['status']} since it was anchored[/red]"
            )
    if not data.get("ok", False):
        raise typer.Exit(code=1)


def _check_anchors(config: OpsConfig, workspace: str | None, idle: float) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        found = await read_anchors(config.amqp_url, workspace_id=workspace, idle_seconds=idle)

        async def post(body: dict[str, Any]) -> dict[str, Any]:
            result: dict[str, Any] = await post_json(
                config, "audit", "/ops/audit/anchors/check", body
            )
            return result

        return await check_anchors(found, post)

    return asyncio.run(run())


def _fail(message: str) -> int:
    console.print(f"[red]{message}[/red]")
    return 2
