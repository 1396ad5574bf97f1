"""Finds or provides RabbitMQ and PostgreSQL on this machine.

A broker or database that already answers is reused. Otherwise, on a Debian-like machine
where we are root, the system packages are installed and started.
"""

import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

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


def _broker_password_hash(password: str) -> str:
    """RabbitMQ's own salted SHA-256 form, as its definitions carry passwords."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def provision_broker_users(
    url: str, *, user_prefix: str = "kasa-", passwords_file: Path | None = None
) -> dict[str, str] | None:
    """Each service's own broker user on the virtual host of ``url``, and the replay user.

    Returns the AMQP URL of each (keyed by service name, and ``ops``), or None when the broker
    is not local (no ``rabbitmqctl``): then the users must exist already, as in production.
    The users, passwords, permissions and topic permissions go in with one
    ``rabbitmqctl import_definitions``. Passwords are kept in ``passwords_file`` (0600) when
    one is given, so a restarted stack keeps them; otherwise they are new on each call.
    """
    if not rabbitmq_is_local(url):
        return None
    from kasa_servicekit.topology import EVENTS_EXCHANGE, broker_permissions

    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    stored: dict[str, str] = {}
    if passwords_file and passwords_file.exists():
        stored = json.loads(passwords_file.read_text())
    users, permissions, topics, urls = [], [], [], {}
    for name, rights in broker_permissions(user_prefix).items():
        password = stored.get(rights.user) or secrets.token_urlsafe(24)
        stored[rights.user] = password
        users.append(
            {
                "name": rights.user,
                "password_hash": _broker_password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
        )
        permissions.append(
            {
                "user": rights.user,
                "vhost": vhost,
                "configure": rights.configure,
                "write": rights.write,
                "read": rights.read,
            }
        )
        topics.append(
            {
                "user": rights.user,
                "vhost": vhost,
                "exchange": EVENTS_EXCHANGE,
                "write": rights.topic_write,
                "read": rights.topic_read,
            }
        )
        address = parts.netloc.rsplit("@", 1)[-1]
        netloc = f"{quote(rights.user, safe='')}:{quote(password, safe='')}@{address}"
        urls[name] = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    definitions = {"users": users, "permissions": permissions, "topic_permissions": topics}
    # On standard input: the passwords never touch a file the broker's user could read.
    subprocess.run(
        ["rabbitmqctl", "-q", "import_definitions"],
        input=json.dumps(definitions),
        check=True,
        capture_output=True,
        text=True,
    )
    # The import runs asynchronously in the broker: wait until every user can connect.
    deadline = time.monotonic() + 30
    for name, user_url in urls.items():
        while not asyncio.run(_amqp_ok(user_url)):
            if time.monotonic() > deadline:
                raise InfraError(f"broker user {name} cannot connect after the import")
            time.sleep(0.3)
    if passwords_file:
        passwords_file.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(passwords_file, os.O_WRONLY | os.O_CREAT, 0o600))
        passwords_file.chmod(0o600)
        passwords_file.write_text(json.dumps(stored, indent=2))
    _say(f"broker users {', '.join(u['name'] for u in users)} on vhost {vhost}")
    return urls


def delete_broker_users(users: Iterable[str]) -> None:
    """Remove test broker users in the background: one ``rabbitmqctl`` call each is slow, and a
    leftover user has no permission on any virtual host once the test vhost is gone."""
    names = [u for u in users if re.fullmatch(r"[A-Za-z0-9_.-]+", u)]
    if names and shutil.which("rabbitmqctl"):
        script = "; ".join(f"rabbitmqctl -q delete_user {name}" for name in names)
        subprocess.Popen(
            ["sh", "-c", script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


async def _pg_ok(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


def _as_postgres(sql: str) -> None:
    _run("su", "postgres", "-c", f'psql -v ON_ERROR_STOP=1 -q -c "{sql}"')


async def _can_create_roles(url: str) -> bool:
    connection = await asyncpg.connect(url, timeout=3)
    try:
        return bool(
            await connection.fetchval(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
            )
        )
    finally:
        await connection.close()


def _let_admin_create_roles(admin_url: str) -> None:
    """The admin role makes each service's own roles; a role made before that lacks CREATEROLE."""
    parts = urlsplit(admin_url)
    if asyncio.run(_can_create_roles(admin_url)) or os.geteuid() != 0:
        return
    if not parts.username or not ROLE_NAME.match(parts.username):
        return
    local = (parts.hostname or "127.0.0.1") in ("127.0.0.1", "localhost")
    if not local or not shutil.which("psql"):
        return
    _say(f"letting role {parts.username} create the services' roles")
    _as_postgres(f"ALTER ROLE {parts.username} CREATEROLE")


def ensure_postgres(admin_url: str = DEFAULT_PG_ADMIN_URL) -> str:
    """Return a PostgreSQL URL of a role that may create databases and roles, starting a server
    if needed."""
    if asyncio.run(_pg_ok(admin_url)):
        _let_admin_create_roles(admin_url)
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
            f"THEN CREATE ROLE {parts.username} LOGIN CREATEDB CREATEROLE "
            f"PASSWORD '{parts.password}'; "
            "END IF; END \\$\\$;"
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if asyncio.run(_pg_ok(admin_url)):
            _let_admin_create_roles(admin_url)
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


ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
"""Role and database names we create: plain identifiers, so they never need escaping."""


@dataclass(frozen=True)
class ServiceDatabase:
    """A service's own database and its two login roles.

    ``owner`` owns the database and its schema and runs the migrations (``migration_url``);
    ``runtime`` is what the service runs as (``runtime_url``): it may connect to this database
    only, and reads and writes rows with what the migrations grant it.
    """

    name: str
    owner: str
    runtime: str
    migration_url: str
    runtime_url: str


def _role_url(admin_url: str, role: str, password: str, database: str) -> str:
    parts = urlsplit(admin_url)
    address = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{role}:{password}@{address}"
    return urlunsplit(("postgresql+asyncpg", netloc, f"/{database}", parts.query, ""))


async def _login_role(connection: asyncpg.Connection, role: str) -> str:
    """Create ``role`` (or give it a new password): no superuser, no CREATEDB, no CREATEROLE."""
    # Letters, digits, "-" and "_": nothing to escape in a literal or a URL.
    password = secrets.token_urlsafe(24)
    if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        # Only a superuser may name the SUPERUSER attribute in ALTER ROLE; checked below.
        await connection.execute(
            f"ALTER ROLE {role} LOGIN NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
        )
    else:
        await connection.execute(
            f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{password}'"
        )
    powers = await connection.fetchrow(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = $1",
        role,
    )
    if any(powers.values()):
        raise InfraError(f"role {role} has {dict(powers)}; a service role must have none")
    # The admin makes, adopts and drops the database as a member of its owner.
    await connection.execute(f"GRANT {role} TO CURRENT_USER")
    return password


async def _adopt(connection: asyncpg.Connection, owner: str) -> None:
    """Hand what an older setup created in ``public`` to the owner, so it can migrate further.

    Tables take their indexes and column sequences with them. ``owner`` is a ``ROLE_NAME``.
    """
    await connection.execute(f"""
        DO $$
        DECLARE item record;
        BEGIN
          FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                AND c.relowner <> '{owner}'::regrole
              ORDER BY c.relkind = 'S'
          LOOP
            IF item.relkind <> 'S' OR NOT EXISTS (SELECT 1 FROM pg_class c
                WHERE c.oid = item.name AND c.relowner = '{owner}'::regrole) THEN
              EXECUTE format('ALTER %s %s OWNER TO {owner}',
                CASE WHEN item.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, item.name);
            END IF;
          END LOOP;
          FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND p.proowner <> '{owner}'::regrole
          LOOP
            EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', item.name);
          END LOOP;
        END $$
    """)  # noqa: S608


async def _provision(
    connection: asyncpg.Connection,
    admin_url: str,
    database: str,
    owner: str,
    runtime: str,
    *,
    drop_first: bool,
) -> ServiceDatabase:
    for name in (database, owner, runtime):
        if not ROLE_NAME.match(name):
            raise InfraError(f"{name!r} is not a plain lower-case identifier")
    owner_password = await _login_role(connection, owner)
    runtime_password = await _login_role(connection, runtime)
    if drop_first:
        await _drop_database(connection, database)
    current = await connection.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database
    )
    if current is None:
        await connection.execute(f"CREATE DATABASE {database} OWNER {owner}")
    elif current != owner:
        await connection.execute(f"ALTER DATABASE {database} OWNER TO {owner}")
    # Nobody else may connect (PostgreSQL lets PUBLIC connect to every database by default).
    await connection.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
    await connection.execute(f"GRANT CONNECT ON DATABASE {database} TO {runtime}")

    inside = await asyncpg.connect(database_url(admin_url, database).replace("+asyncpg", ""))
    try:
        if current not in (None, owner):
            _say(f"handing {database} over to {owner}")
            await _adopt(inside, owner)
        # PostgreSQL 15 and later let only the database owner create in public; older servers
        # let everyone, which would let the runtime role create (and own) tables.
        if await inside.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", runtime):
            await inside.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if await inside.fetchval("SELECT has_schema_privilege($1, 'public', 'CREATE')", runtime):
            raise InfraError(f"{runtime} may create tables in {database}; needs PostgreSQL 15+")
    finally:
        await inside.close()
    return ServiceDatabase(
        name=database,
        owner=owner,
        runtime=runtime,
        migration_url=_role_url(admin_url, owner, owner_password, database),
        runtime_url=_role_url(admin_url, runtime, runtime_password, database),
    )


async def create_service_databases(
    admin_url: str,
    databases: Mapping[str, str],
    *,
    role_prefix: str = "kasa",
    drop_first: bool = True,
) -> dict[str, ServiceDatabase]:
    """Each service's database (``databases``: service → database name) with its two roles,
    ``<role_prefix>_<service>`` and ``<role_prefix>_<service>_owner``, with new passwords.

    The admin needs CREATEDB and CREATEROLE. An existing database is kept unless
    ``drop_first``; one an older setup made is handed over to its owner role.
    """
    connection = await asyncpg.connect(admin_url)
    try:
        if not await connection.fetchval(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ):
            raise InfraError(
                f"{urlsplit(admin_url).username} may not create roles: "
                "ALTER ROLE … CREATEROLE, or point PG_ADMIN_URL at a role that may"
            )
        return {
            service: await _provision(
                connection,
                admin_url,
                database,
                owner=f"{role_prefix}_{service}_owner",
                runtime=f"{role_prefix}_{service}",
                drop_first=drop_first,
            )
            for service, database in databases.items()
        }
    finally:
        await connection.close()


async def drop_service_databases(admin_url: str, databases: Iterable[ServiceDatabase]) -> None:
    """Drop test databases and then their roles; a leftover only warns."""
    connection = await asyncpg.connect(admin_url)
    try:
        for database in databases:
            await _drop_database(connection, database.name)
            for role in (database.runtime, database.owner):
                try:
                    await connection.execute(f"DROP ROLE IF EXISTS {role}")
                except asyncpg.PostgresError as exc:
                    warnings.warn(f"test role {role} was left behind: {exc}", stacklevel=2)
    finally:
        await connection.close()


def delete_vhost(vhost: str) -> None:
    if shutil.which("rabbitmqctl"):
        _run("rabbitmqctl", "-q", "delete_vhost", vhost, check=False)


CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    """Debian's Chromium for the browser tests (browsers cannot be downloaded, only packaged)."""
    if not os.path.exists(CHROMIUM):
        _apt_install("chromium")
    return CHROMIUM
