"""How every ``kasa`` command answers: JSON for scripts, rich text for people."""

import json
from typing import Any

import typer
from rich.console import Console

console = Console()


def emit(data: Any, as_json: bool) -> bool:
    """Print ``data`` as JSON when asked to; True if the command's answer is thereby given."""
    if as_json:
        typer.echo(json.dumps(data, default=str, indent=2))
    return as_json


def fail(message: str) -> int:
    """Tell the operator what is wrong; the exit code of a usage error."""
    console.print(f"[red]{message}[/red]")
    return 2
