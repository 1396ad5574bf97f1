"""``kasa dlq``: the parked messages of a consumer queue, and sending them back or away."""

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table

from kasa_ops import dead_letters
from kasa_ops.cli.options import EventType, JsonFlag, Limit, MessageIds, Queue, Yes
from kasa_ops.cli.output import console, emit, fail
from kasa_ops.config import OpsConfig
from kasa_servicekit.topology import parking_queue

app = typer.Typer(help="Parked (dead-lettered) messages of a consumer queue.", no_args_is_help=True)


@app.command("list")
def dlq_list(
    queue: Queue, event_type: EventType = None, limit: Limit = 50, as_json: JsonFlag = False
) -> None:
    """List parked messages with their error and attempt count."""
    found = asyncio.run(
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
    found = asyncio.run(
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
    if not emit({"requeued": done}, as_json):
        console.print(f"requeued {len(done)} message(s) to {queue}")


@app.command("discard")
def dlq_discard(
    queue: Queue,
    event_type: EventType = None,
    limit: Limit = 50,
    message_id: MessageIds = None,
    yes: Yes = False,
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
    if not emit({"discarded": done}, as_json):
        console.print(f"discarded {len(done)} message(s) from {parking_queue(queue)}")
