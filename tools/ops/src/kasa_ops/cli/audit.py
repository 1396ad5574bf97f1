"""``kasa audit``: checking the audit trail's hash chain, and its anchors in the archive."""

import asyncio
import json
from typing import Annotated, Any

import typer

from kasa_ops.chain_anchors import check_anchors, read_anchors
from kasa_ops.cli.options import JsonFlag
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_ops.services import get_json, post_json

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
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
    if not emit(data, as_json):
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
