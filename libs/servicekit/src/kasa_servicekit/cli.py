"""The command every service ships: ``kasa-<service> serve`` and ``kasa-<service> migrate``."""

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from kasa_servicekit.database_wait import DatabaseUnreachable, wait_for_database
from kasa_servicekit.logs import configure_logging
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import ServiceSpec, create_app, ops_app
from kasa_servicekit.settings import ServiceSettings

log = logging.getLogger("kasa.startup")


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
    settings = spec.settings
    configure_logging(spec.name, settings.log_level, settings.log_format)
    migrates = args.command == "migrate" or not args.no_migrate
    try:
        asyncio.run(
            wait_for_database(
                settings.migration_url if migrates else settings.database_url,
                settings.startup_wait_seconds,
            )
        )
    except DatabaseUnreachable as exc:
        log.error("%s; %s does not start", exc, spec.name)
        sys.exit(3)
    if migrates:
        # As the schema owner (MIGRATION_DATABASE_URL), granting the runtime role its rows.
        upgrade(
            spec.migrations, spec.settings.migration_url, runtime_url=spec.settings.database_url
        )
    if args.command == "serve":
        asyncio.run(run_listeners(create_app(spec), spec.settings))


class _OpsServer(uvicorn.Server):
    """The ops listener: it stops with the public server, so it leaves the signals to it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_listeners(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve the public app on ``HOST``:``PORT`` and its ops app on ``OPS_HOST``:``OPS_PORT``.

    The ops listener is up before the public one, so a service that answers its readiness
    probe also answers ``kasa``; a port that cannot be bound stops the process.
    """
    ops = _OpsServer(
        uvicorn.Config(
            ops_app(app),
            host=settings.ops_host,
            port=settings.ops_listener_port,
            lifespan="off",  # the public app runs the service's lifespan
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
            proxy_headers=False,  # the client address is never taken from a request header
        )
    )
    public = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
            # Longer than the gateway keeps idle upstream connections, so a reused
            # connection is never one the service has just closed.
            timeout_keep_alive=75,
            # The client address is never taken from a request header here; the gateway
            # reads it from trusted proxies only (TRUSTED_PROXIES).
            proxy_headers=False,
        )
    )
    listening = asyncio.create_task(ops.serve())
    while not ops.started:
        if listening.done():
            await listening
            raise RuntimeError("the ops listener stopped before it started")
        await asyncio.sleep(0.05)
    try:
        await public.serve()
    finally:
        ops.should_exit = True
        await listening
