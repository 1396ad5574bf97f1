"""``kasa replay``: archived events again into one service's queues, and no one else's."""

from pathlib import Path
from typing import Annotated

import typer

from kasa_ops.cli import replaying
from kasa_ops.cli.options import Idle, JsonFlag
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig


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
    idle: Idle = 3.0,
    source: Annotated[
        str,
        typer.Option("--from", help="stream (recent, default) or audit (the permanent archive)"),
    ] = "stream",
    as_json: JsonFlag = False,
) -> None:
    """Replay archived events into one service's queues, and no one else's."""
    config = OpsConfig.from_env()
    chosen = replaying.selection(config, service, since, until, event_type, workspace)
    result = replaying.run(
        config, service, chosen, source, dry_run, rate, checkpoint, idle, as_json
    )
    data = replaying.report(service, source, chosen, result, dry_run)
    if not emit(data, as_json):
        console.print(
            f"read {result.read}  matched {result.matched}  "
            f"published {result.published}{'  (dry run)' if dry_run else ''}"
        )
