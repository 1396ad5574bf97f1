"""The command every service ships: ``kasa-<service> serve`` and ``kasa-<service> migrate``."""

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import uvicorn
from pydantic import ValidationError

from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import ServiceSpec, create_app


@dataclass(frozen=True)
class Command:
    """A service's own subcommand, ``kasa-<service> <name> …``, next to serve and migrate."""

    name: str
    help: str
    run: Callable[[ServiceSpec, argparse.Namespace], int]
    """Runs with the built spec (its settings validated) and the parsed arguments."""
    configure: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    """Adds the subcommand's own arguments."""


def service_main(build_spec: Callable[[], ServiceSpec], commands: Sequence[Command] = ()) -> None:
    parser = argparse.ArgumentParser(description="Run or migrate a Kasa service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply migrations, then serve HTTP and consume events")
    serve.add_argument("--no-migrate", action="store_true", help="skip applying migrations")
    sub.add_parser("migrate", help="apply database migrations and exit")
    extra = {command.name: command for command in commands}
    for command in commands:
        command.configure(sub.add_parser(command.name, help=command.help))
    args = parser.parse_args()

    try:
        spec = build_spec()
    except ValidationError as exc:
        print(f"invalid configuration:\n{exc}", file=sys.stderr)
        sys.exit(2)

    if args.command in extra:
        sys.exit(extra[args.command].run(spec, args))
    if args.command == "migrate" or not args.no_migrate:
        upgrade(spec.migrations, spec.settings.database_url)
    if args.command == "serve":
        uvicorn.run(
            create_app(spec),
            host=spec.settings.host,
            port=spec.settings.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
            # Longer than the gateway keeps idle upstream connections, so a reused
            # connection is never one the service has just closed.
            timeout_keep_alive=75,
        )
