"""``kasa outbox``: a service's events not yet confirmed by the broker, and publishing again."""

import asyncio
from typing import Annotated

import typer

from kasa_ops.cli.options import EventType, JsonFlag, utc
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_ops.services import get_json, post_json

app = typer.Typer(
    help="Events services wrote but the broker has not confirmed.", no_args_is_help=True
)


@app.command("status")
def outbox_status(
    service: Annotated[str, typer.Option("--service")], as_json: JsonFlag = False
) -> None:
    """How many events wait in a service's outbox, and how old the oldest is."""
    data = asyncio.run(get_json(OpsConfig.from_env(), service, "/ops/outbox"))
    if not emit(data, as_json):
        console.print(f"{service}: {data['waiting']} waiting, oldest {data['oldest_age_s']} s")


@app.command("republish")
def outbox_republish(
    service: Annotated[str, typer.Option("--service")],
    since: Annotated[str, typer.Option("--since")],
    until: Annotated[str | None, typer.Option("--until")] = None,
    event_type: EventType = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish a service's events written since a time again (consumers dedupe)."""
    body = {
        "since": utc(since).isoformat(),
        "event_type": event_type,
        "until": utc(until).isoformat() if until else None,
    }
    data = asyncio.run(post_json(OpsConfig.from_env(), service, "/ops/outbox/republish", body))
    if not emit(data, as_json):
        console.print(f"{service}: {data['republished']} event(s) queued for publishing again")
