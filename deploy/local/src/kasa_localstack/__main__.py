"""``kasa-dev``: run the whole system locally, or provide its broker and databases."""

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from kasa_localstack.infra import (
    DEFAULT_AMQP_URL,
    DEFAULT_PG_ADMIN_URL,
    create_service_databases,
    ensure_postgres,
    ensure_rabbitmq,
)
from kasa_localstack.mail_sink import MailSink
from kasa_localstack.seed import seed
from kasa_localstack.stack import DEFAULT_PORTS, SERVICES, Stack, StackConfig, sqlite_urls
from kasa_localstack.testing import free_port

DEFAULT_SMTP_PORT = 8025
"""Where the local stack's SMTP sink listens (``KASA_SMTP_PORT`` changes it)."""


def _config(args: argparse.Namespace) -> StackConfig:
    data_dir = Path(args.data_dir).resolve()
    amqp_url = ensure_rabbitmq(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL))
    migration_urls: dict[str, str] = {}
    if args.postgres:
        admin = ensure_postgres(os.environ.get("PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL))
        # Each service runs as its own role and migrates as its database's owner.
        databases = asyncio.run(
            create_service_databases(
                admin, {name: f"kasa_{name}" for name in SERVICES}, drop_first=False
            )
        )
        urls = {name: db.runtime_url for name, db in databases.items()}
        migration_urls = {name: db.migration_url for name, db in databases.items()}
    else:
        urls = sqlite_urls(data_dir)
    ports = dict(DEFAULT_PORTS)
    ports["gateway"] = int(os.environ.get("KASA_GATEWAY_PORT") or ports["gateway"])
    return StackConfig(
        amqp_url=amqp_url,
        smtp_port=int(os.environ.get("KASA_SMTP_PORT") or DEFAULT_SMTP_PORT),
        database_urls=urls,
        migration_database_urls=migration_urls,
        data_dir=data_dir,
        ports=ports,
        extra_env={"LOG_FORMAT": os.environ.get("LOG_FORMAT", "text")},
    )


def _mail_sink(port: int, data_dir: Path) -> MailSink:
    return MailSink(
        port, folder=data_dir / "mail", announce=lambda line: print(f"[mail] {line}", flush=True)
    ).start()


async def _run(config: StackConfig, with_seed: bool) -> int:
    stack = Stack(config)
    assert config.smtp_port is not None
    try:
        mail = _mail_sink(config.smtp_port, config.data_dir)
    except OSError:
        # Something else listens there: the stack's own sink takes a free port instead.
        config.smtp_port = free_port()
        mail = _mail_sink(config.smtp_port, config.data_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stack.start()
        gateway = config.url("gateway")
        if with_seed:
            login = await asyncio.to_thread(seed, gateway, mail.to)
            # The demo user also operates this instance: the operator pages at /operator.
            granted = await stack.grant_operator(login["email"])
            print(
                f"\n  Kasa is running at {gateway}\n"
                f"  Demo login: {login['email']} / {login['password']}\n"
                f"  Mail Kasa sends is kept in {config.data_dir / 'mail'} "
                f"(SMTP on 127.0.0.1:{config.smtp_port})\n"
                f"  {granted}: the operator pages are at {gateway}/operator\n"
                f"  API docs of each service: <service url>/openapi.json; Ctrl-C stops all.\n",
                flush=True,
            )
        while not stop.is_set():
            if any(not s.running for s in stack.services.values()):
                dead = [n for n, s in stack.services.items() if not s.running]
                print(f"stopping: {', '.join(dead)} exited", file=sys.stderr)
                return 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
            except TimeoutError:
                pass
        return 0
    finally:
        stack.stop()
        mail.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="kasa-dev", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run all five services with demo data")
    run.add_argument("--postgres", action="store_true", help="use PostgreSQL instead of SQLite")
    run.add_argument("--data-dir", default=".data", help="where SQLite files and keys live")
    run.add_argument("--no-seed", action="store_true", help="do not create demo data")
    infra = sub.add_parser("infra", help="make sure RabbitMQ (and PostgreSQL) answer")
    infra.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    if args.command == "infra":
        print("AMQP_URL=" + ensure_rabbitmq(os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)))
        if args.postgres:
            print(
                "PG_ADMIN_URL="
                + ensure_postgres(os.environ.get("PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL))
            )
        return
    sys.exit(asyncio.run(_run(_config(args), with_seed=not args.no_seed)))


if __name__ == "__main__":
    main()
