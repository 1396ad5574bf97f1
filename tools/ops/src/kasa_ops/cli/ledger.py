"""``kasa ledger``: rebuilding the ledger's projections of other services' records."""

import asyncio
from typing import Annotated

import typer

from kasa_ops.cli import replaying
from kasa_ops.cli.options import Idle, JsonFlag, Yes
from kasa_ops.cli.output import console, emit
from kasa_ops.config import OpsConfig
from kasa_ops.services import post_json

app = typer.Typer(help="Ledger-owned rebuilds.", no_args_is_help=True)

INVOICE_QUEUE = "ledger.invoices"


@app.command("rebuild-invoices")
def ledger_rebuild_invoices(
    source: Annotated[
        str, typer.Option("--from", help="stream (default) or audit (events older than it)")
    ] = "stream",
    idle: Idle = 3.0,
    yes: Yes = False,
    as_json: JsonFlag = False,
) -> None:
    """Clear the ledger's invoice projection, then rebuild it by replaying invoicing's events."""
    if not yes and not typer.confirm("Clear and rebuild the ledger's invoice projection?"):
        raise typer.Exit(code=1)
    config = OpsConfig.from_env()
    chosen = replaying.selection(
        config, "ledger", replaying.EPOCH, None, ["invoicing.invoice."], None
    )
    # Only the projection's own queue: other ledger queues must not see invoicing's events again.
    chosen.queues = {q: keys for q, keys in chosen.queues.items() if q == INVOICE_QUEUE}
    cleared = asyncio.run(post_json(config, "ledger", "/ops/ledger/invoice-projection/reset", {}))
    result = replaying.run(config, "ledger", chosen, source, False, None, None, idle, as_json)
    data = {**cleared, **replaying.report("ledger", source, chosen, result, False)}
    if not emit(data, as_json):
        console.print(
            f"cleared {cleared['invoices_cleared']} invoice(s); replayed {result.matched} "
            f"invoice event(s) into {', '.join(sorted(chosen.queues))}"
        )
