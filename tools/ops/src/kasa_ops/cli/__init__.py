"""The ``kasa`` command for operators: one module per command or command group."""

import typer

from kasa_ops.cli import audit, dlq, ledger, mail, outbox, replay, status

app = typer.Typer(
    help="Operate Kasa: status, dead letters, replay, outbox, mail and audit.", no_args_is_help=True
)
app.command()(status.status)
app.command()(replay.replay)
app.add_typer(dlq.app, name="dlq")
app.add_typer(outbox.app, name="outbox")
app.add_typer(audit.app, name="audit")
app.add_typer(ledger.app, name="ledger")
app.add_typer(mail.app, name="mail")
