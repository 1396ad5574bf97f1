"""``kasa dlq``: the parked messages of a consumer queue, and sending them back or away."""

import asyncio
import json
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from kasa_ops.cli.options import EventType, JsonFlag, Limit, MessageIds, Queue, Yes
from kasa_ops.cli.output import console, emit, fail
from kasa_ops.config import OpsConfig
from kasa_servicekit import dead_letters
from kasa_servicekit.topology import parking_queue

DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would be done; change nothing")]

app = typer.Typer(help="Parked (dead-lettered) messages of a consumer queue.", no_args_is_help=True)

T = TypeVar("T")


def _on_broker(call: Coroutine[Any, Any, T]) -> T:
    """Run a dead-letter call; a queue without a parking queue is a usage error."""
    try:
        return asyncio.run(call)
    except dead_letters.NoParkingQueue as exc:
        raise typer.Exit(code=fail(str(exc))) from None


@app.command("list")
def dlq_list(
    queue: Queue, event_type: EventType = None, limit: Limit = 50, as_json: JsonFlag = False
) -> None:
    """List parked messages with their error and attempt count."""
    found = _on_broker(
        dead_letters.list_parked(
            OpsConfig.from_env().amqp_url, queue, event_type=event_type, limit=limit
        )
    )
    if emit([m.summary() for m in found], as_json):
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


@app.command("show")
def dlq_show(
    queue: Queue,
    message_id: Annotated[str, typer.Option("--message-id")],
    as_json: JsonFlag = False,
) -> None:
    """Show one parked message in full: headers and body."""
    found = _on_broker(
        dead_letters.list_parked(
            OpsConfig.from_env().amqp_url, queue, message_ids={message_id}, limit=1
        )
    )
    if not found:
        raise typer.Exit(code=fail(f"no parked message {message_id} in {parking_queue(queue)}"))
    message = found[0]
    data = {
        **message.summary(),
        "headers": message.headers,
        "body": message.body.decode(errors="replace"),
    }
    if not emit(data, as_json):
        console.print_json(json.dumps(data, default=str))


@app.command("requeue")
def dlq_requeue(
    queue: Queue,
    event_type: EventType = None,
    limit: Limit = 50,
    message_id: MessageIds = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Send parked messages back to their queue (same message id, so inboxes dedupe)."""
    outcome = _on_broker(
        dead_letters.requeue(
            OpsConfig.from_env().amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=set(message_id or []),
            dry_run=dry_run,
        )
    )
    if dry_run:
        _dry_run_report("requeue", queue, outcome, as_json)
    elif not emit({"requeued": outcome.ids}, as_json):
        console.print(f"requeued {len(outcome.ids)} message(s) to {queue}")


@app.command("discard")
def dlq_discard(
    queue: Queue,
    event_type: EventType = None,
    limit: Limit = 50,
    message_id: MessageIds = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Drop parked messages for good."""
    asked = not yes and not dry_run
    if asked and not typer.confirm(f"Drop up to {limit} parked message(s) of {queue}?"):
        raise typer.Exit(code=1)
    outcome = _on_broker(
        dead_letters.discard(
            OpsConfig.from_env().amqp_url,
            queue,
            event_type=event_type,
            limit=limit,
            message_ids=set(message_id or []),
            dry_run=dry_run,
        )
    )
    if dry_run:
        _dry_run_report("discard", queue, outcome, as_json)
    elif not emit({"discarded": outcome.ids}, as_json):
        console.print(f"discarded {len(outcome.ids)} message(s) from {parking_queue(queue)}")


def _dry_run_report(action: str, queue: str, outcome: dead_letters.Outcome, as_json: bool) -> None:
    """What a requeue or discard would do: the messages, and those a requeue leaves parked."""
    data = {
        f"would_{action}": [m.summary() for m in outcome.done],
        "left_parked_untrusted_sender": [m.summary() for m in outcome.untrusted],
        "dry_run": True,
    }
    if emit(data, as_json):
        return
    table = Table("message id", "event type", "attempts", "error")
    for m in outcome.done:
        table.add_row(str(m.message_id), str(m.event_type), str(m.attempts), (m.error or "")[:80])
    console.print(table)
    console.print(f"dry run: would {action} {len(outcome.done)} message(s) of {queue}")
    if outcome.untrusted:
        console.print(
            f"{len(outcome.untrusted)} message(s) parked for an untrusted sender stay parked "
            "(kasa dlq discard drops them)"
        )
