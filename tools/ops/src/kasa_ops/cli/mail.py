"""``kasa mail``: the mail services queued, what could not be delivered, retrying or dropping it.

Mail lives in the outbox of the service that sends it (ADR 0023): the gateway (password
resets) and invoicing (invoices and reminders). Without ``--service`` the commands ask each.
"""

import asyncio
from typing import Annotated, Any
from uuid import UUID

import httpx
import typer
from rich.table import Table

from kasa_ops.cli.options import JsonFlag
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_ops.services import get_json, post_json
from kasa_servicekit.ops_client import MAIL_SERVICES

app = typer.Typer(help="Mail the services send: parked mail, retry, drop.", no_args_is_help=True)

Service = Annotated[
    str | None, typer.Option("--service", help="gateway or invoicing; both when not given")
]
Ids = Annotated[
    list[str] | None, typer.Option("--id", help="A parked mail's id (repeatable); all if none")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would happen, change nothing")]


def _services(service: str | None) -> list[str]:
    if service is None:
        return list(MAIL_SERVICES)
    if service not in MAIL_SERVICES:
        raise typer.BadParameter(
            f"{service} sends no mail; mail is sent by {', '.join(MAIL_SERVICES)}"
        )
    return [service]


async def _each(
    service: str | None, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    config = OpsConfig.from_env()
    answers: dict[str, Any] = {}
    for name in _services(service):
        try:
            if body is None:
                answers[name] = await get_json(config, name, path)
            else:
                answers[name] = await post_json(config, name, path, body)
        except httpx.HTTPError as exc:
            answers[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return answers


@app.command("list")
def mail_list(
    service: Service = None,
    status: Annotated[
        str, typer.Option("--status", help="parked, queued, sent or dropped")
    ] = "parked",
    as_json: JsonFlag = False,
) -> None:
    """Counts of each service's mail, and its mail of one status (parked by default)."""
    data = asyncio.run(_each(service, f"/ops/mail?status={status}"))
    if emit(data, as_json):
        return
    for name, answer in data.items():
        if "error" in answer:
            console.print(f"[red]{name}: {answer['error']}[/red]")
            continue
        counts = answer["counts"]
        smtp = (
            "" if answer.get("smtp_configured") else " [yellow](no SMTP_HOST: mail waits)[/yellow]"
        )
        console.print(
            f"[bold]{name}[/bold]: {counts['queued']} queued, {counts['sent']} sent, "
            f"{counts['parked']} parked, {counts['dropped']} dropped{smtp}"
        )
        if answer["items"]:
            table = Table("id", "kind", "to", "subject", "attempts", "last error")
            for item in answer["items"]:
                table.add_row(
                    item["id"],
                    item["kind"],
                    item["recipient"],
                    item["subject"],
                    str(item["attempts"]),
                    (item["last_error"] or "")[:80],
                )
            console.print(table)


def _body(ids: list[str] | None, dry_run: bool) -> dict[str, Any]:
    return {"ids": [str(UUID(i)) for i in ids] if ids else None, "dry_run": dry_run}


@app.command("retry")
def mail_retry(
    service: Service = None, ids: Ids = None, dry_run: DryRun = False, as_json: JsonFlag = False
) -> None:
    """Queue parked mail again, now, with a fresh count of attempts."""
    data = asyncio.run(_each(service, "/ops/mail/retry", _body(ids, dry_run)))
    if not emit(data, as_json):
        for name, answer in data.items():
            count = answer.get("would_retry", answer.get("retried", answer.get("error")))
            verb = "would retry" if dry_run else "retried"
            console.print(f"{name}: {verb} {count}")


@app.command("drop")
def mail_drop(
    service: Service = None, ids: Ids = None, dry_run: DryRun = False, as_json: JsonFlag = False
) -> None:
    """Give up on parked mail; it is never sent, and the same mail is never queued again."""
    data = asyncio.run(_each(service, "/ops/mail/drop", _body(ids, dry_run)))
    if not emit(data, as_json):
        for name, answer in data.items():
            count = answer.get("would_drop", answer.get("dropped", answer.get("error")))
            verb = "would drop" if dry_run else "dropped"
            console.print(f"{name}: {verb} {count}")
