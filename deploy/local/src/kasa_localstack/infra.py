"""Finds or provides RabbitMQ and PostgreSQL on this machine.

A broker or database that already answers is reused. Otherwise, on a Debian-like machine
where we are root, the system packages are installed and started.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import time
import warnings
from urllib.parse import urlsplit

import aio_pika
import asyncpg

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG_ADMIN_URL = "postgresql://kasa:kasa@127.0.0.1:5432/postgres"


class InfraError(RuntimeError):
    pass


def _say(message: str) -> None:
    print(f"[infra] {message}", flush=True)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(host, port):
            return True
        time.sleep(0.5)
    return False


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


_apt_updated = False


def _apt_install(*packages: str) -> None:
    global _apt_updated
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise InfraError(
            f"{', '.join(packages)} missing and cannot be installed here (needs root and apt-get); "
            "install it or point the URL at a running one"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        _say("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        _apt_updated = True
    _say(f"apt-get install {' '.join(packages)}")
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)


async def _amqp_ok(url: str) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


def rabbitmq_is_local(url: str) -> bool:
    host = urlsplit(url).hostname or "127.0.0.1"
    return host in ("127.0.0.1", "localhost", "::1") and shutil.which("rabbitmqctl") is not None


def ensure_rabbitmq(url: str = DEFAULT_AMQP_URL) -> str:
    """Return a working AMQP URL, starting a local broker when none answers."""
    if asyncio.run(_amqp_ok(url)):
        return url
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if host not in ("127.0.0.1", "localhost"):
        raise InfraError(f"no broker answers at {host}:{port}")
    if not shutil.which("rabbitmq-server"):
        _apt_install("rabbitmq-server")
    _say("starting rabbitmq-server")
    if shutil.which("service"):
        _run("service", "rabbitmq-server", "start", check=False)
    if not _wait_port(host, port, 5):
        subprocess.Popen(
            ["rabbitmq-server"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    if not _wait_port(host, port, 60):
        raise InfraError("rabbitmq-server did not start listening within 60 s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if asyncio.run(_amqp_ok(url)):
            return url
        time.sleep(0.5)
    raise InfraError(f"rabbitmq-server listens but {url} is refused")


def fresh_vhost(url: str, vhost: str) -> str:
    """A new, empty virtual host on a local broker (tests use one per run)."""
    if not rabbitmq_is_local(url):
        return url
    _run("rabbitmqctl", "-q", "delete_vhost", vhost, check=False)
    _run("rabbitmqctl", "-q", "add_vhost", vhost)
    user = urlsplit(url).username or "guest"
    _run("rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/{vhost}"


async def _pg_ok(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


def _as_postgres(sql: str) -> None:
    _run("su", "postgres", "-c", f'psql -v ON_ERROR_STOP=1 -q -c "{sql}"')


def ensure_postgres(admin_url: str = DEFAULT_PG_ADMIN_URL) -> str:
    """Return a PostgreSQL URL of a role that may create databases, starting a server if needed."""
    if asyncio.run(_pg_ok(admin_url)):
        return admin_url
    parts = urlsplit(admin_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if host not in ("127.0.0.1", "localhost"):
        raise InfraError(f"no PostgreSQL answers at {admin_url}")
    if not _port_open(host, port):
        if not shutil.which("pg_ctlcluster") and not os.path.exists("/usr/lib/postgresql"):
            _apt_install("postgresql")
        _say("starting postgresql")
        if shutil.which("service"):
            _run("service", "postgresql", "start", check=False)
        if not _wait_port(host, port, 30):
            raise InfraError("postgresql did not start listening within 30 s")
    if os.geteuid() == 0 and parts.username and parts.password:
        _say(f"creating role {parts.username}")
        _as_postgres(
            "DO \\$\\$ BEGIN IF NOT EXISTS "
            f"(SELECT FROM pg_roles WHERE rolname = '{parts.username}') "
            f"THEN CREATE ROLE {parts.username} LOGIN CREATEDB PASSWORD '{parts.password}'; "
            "END IF; END \\$\\$;"
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if asyncio.run(_pg_ok(admin_url)):
            return admin_url
        time.sleep(0.5)
    raise InfraError(f"PostgreSQL answers but {admin_url} is refused")


async def create_databases(admin_url: str, names: list[str], *, drop_first: bool = True) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        for name in names:
            if drop_first:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_databases(admin_url: str, names: list[str]) -> None:
    """Drop test databases, ending this role's sessions in them; a leftover only warns."""
    connection = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await _drop_database(connection, name)
    finally:
        await connection.close()


async def _drop_database(connection: asyncpg.Connection, name: str) -> None:
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    except asyncpg.InsufficientPrivilegeError:
        # FORCE may not end another role's process, such as an autovacuum worker. End our own
        # sessions; a plain DROP asks autovacuum to leave and waits for it.
        pass
    for _ in range(5):
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
            name,
        )
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(1)
    warnings.warn(f"test database {name} is still in use and was left behind", stacklevel=2)


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return f"postgresql+asyncpg://{parts.netloc}/{name}"


def delete_vhost(vhost: str) -> None:
    if shutil.which("rabbitmqctl"):
        _run("rabbitmqctl", "-q", "delete_vhost", vhost, check=False)


CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    """Debian's Chromium for the browser tests (browsers cannot be downloaded, only packaged)."""
    if not os.path.exists(CHROMIUM):
        _apt_install("chromium")
    return CHROMIUM
