"""Options several ``kasa`` commands share, so they are spelled and explained alike."""

from datetime import UTC, datetime
from typing import Annotated

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
Queue = Annotated[
    str, typer.Option("--queue", "-q", help="Consumer queue, e.g. ledger.transactions")
]
EventType = Annotated[str | None, typer.Option("--event-type", help="Routing-key prefix")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="At most this many messages")]
MessageIds = Annotated[list[str] | None, typer.Option("--message-id", help="Only these ids")]
Idle = Annotated[float, typer.Option("--idle", help="Stop after this many idle seconds")]
Yes = Annotated[bool, typer.Option("--yes", help="Do not ask")]


def utc(value: str) -> datetime:
    """An ISO time from the command line; one without a zone is taken as UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
