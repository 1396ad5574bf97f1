"""M2: every service is its own PostgreSQL role, and audit's role cannot rewrite the trail.

The running system (the ``system`` fixture) connects each service as its own login role and
migrates as the database's owner role. The kit's grants are also checked on their own: an
audit database migrated by its owner, written by the real consumer as the runtime role.
"""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import asyncpg
import pytest

import kasa_audit
from kasa_audit.consumers import every_event
from kasa_localstack import infra
from kasa_localstack.stack import SERVICES
from kasa_localstack.testing import eventually
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.settings import ServiceSettings

AUDIT_MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
APPEND_ONLY = ("audit_entries", "event_archive")
REWRITES = (
    "UPDATE {table} SET workspace_id = gen_random_uuid()",
    "DELETE FROM {table}",
    "TRUNCATE {table}",
    "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "DROP TRIGGER {table}_append_only ON {table}",
    "DROP TABLE {table}",
)


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


def to_database(url: str, database: str) -> str:
    """The same role and server, another database."""
    return urlunsplit(urlsplit(plain(url))._replace(path=f"/{database}"))


async def refused_rewrites(runtime_url: str) -> None:
    """Every way to change, remove or unprotect trail rows fails for audit's runtime role."""
    connection = await asyncpg.connect(plain(runtime_url))

    async def rows() -> dict[str, set[tuple[object, ...]]]:
        # Every row as it stands; the running system may append more meanwhile.
        return {
            t: {tuple(r) for r in await connection.fetch(f"SELECT workspace_id, event_id FROM {t}")}
            for t in APPEND_ONLY
        }

    try:
        before = await rows()
        assert all(before.values()), {t: len(found) for t, found in before.items()}
        for table in APPEND_ONLY:
            for statement in REWRITES:
                sql = statement.format(table=table)
                # A permission error, before any trigger runs: "permission denied" or
                # "must be owner", not the trigger's "append-only".
                with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
                    await connection.execute(sql)
                assert "append-only" not in str(refused.value), sql
        after = await rows()
        assert all(before[t] <= after[t] for t in APPEND_ONLY), "no row was changed or removed"
    finally:
        await connection.close()


# --- The running system ------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_each_service_connects_as_its_own_unprivileged_role(system):
    user = await system.user()
    # A read of each service's own database, so each holds a pooled connection right now (a
    # service restarted by an earlier test connects only when it next needs its database).
    for path in (
        "/api/v1/syncs",
        "/api/v1/transactions",
        "/api/v1/invoices",
        "/api/v1/audit-events",
        "/api/v1/me",
    ):
        assert (await user.get(path)).status_code == 200, path
    # Any role sees who is connected where (not what they run).
    observer = await asyncpg.connect(plain(system.databases["gateway"].runtime_url))
    try:
        for service, database in system.databases.items():
            users = await eventually(
                lambda name=database.name: observer.fetch(
                    # Connections with a user only: an autovacuum worker has none.
                    "SELECT DISTINCT usename FROM pg_stat_activity"
                    " WHERE datname = $1 AND usename IS NOT NULL",
                    name,
                ),
                lambda rows: bool(rows),
                what=f"{service} connected",
            )
            assert {row["usename"] for row in users} <= {database.runtime, database.owner}
            assert database.runtime in {row["usename"] for row in users}, service
    finally:
        await observer.close()


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_no_service_role_is_superuser_or_may_create_databases_or_roles(system):
    roles = [r for db in system.databases.values() for r in (db.runtime, db.owner)]
    assert len(roles) == 2 * len(SERVICES)
    connection = await asyncpg.connect(plain(system.databases["audit"].runtime_url))
    try:
        rows = await connection.fetch(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = ANY($1::text[])",
            roles,
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("CREATE DATABASE kasa_forbidden")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("CREATE ROLE kasa_forbidden")
    finally:
        await connection.close()
    assert {row["rolname"] for row in rows} == set(roles)
    for row in rows:
        assert not any(value for key, value in row.items() if key != "rolname"), dict(row)


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_the_ledgers_role_cannot_connect_to_the_audit_database(system):
    ledger, audit = system.databases["ledger"], system.databases["audit"]
    with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
        await asyncpg.connect(to_database(ledger.runtime_url, audit.name))
    assert "permission denied for database" in str(refused.value)
    # Nor any other service's database, runtime role or owner alike.
    for other in system.databases.values():
        if other.name != ledger.name:
            for url in (ledger.runtime_url, ledger.migration_url):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await asyncpg.connect(to_database(url, other.name))
    # Its own database is fine.
    connection = await asyncpg.connect(plain(ledger.runtime_url))
    await connection.close()


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="session")
async def test_audits_own_role_cannot_rewrite_or_unprotect_the_trail(system):
    user = await system.user()  # the registration is audited
    audit = system.databases["audit"]
    owner = await asyncpg.connect(plain(audit.migration_url))
    try:
        await eventually(
            lambda: owner.fetchval(
                "SELECT count(*) FROM audit_entries WHERE workspace_id = $1",
                UUID(user.user["workspace_id"]),
            ),
            lambda n: n >= 1,
            what="the registration in the trail",
        )
    finally:
        await owner.close()
    await refused_rewrites(audit.runtime_url)
    await user.close()


# --- The kit's grants on their own ---------------------------------------------------------


def imported(workspace_id: UUID, external_id: str) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": "integrations.transaction.imported",
            "event_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": "integrations",
            "workspace_id": str(workspace_id),
            "actor": {"type": "plugin", "id": "demo", "name": "Demo bank"},
            "payload": {"external_id": external_id, "plugin": "demo", "plugin_version": "1.0.0"},
        }
    ).encode()


async def migrate(database: infra.ServiceDatabase) -> int:
    """``kasa-audit migrate`` as a process of its own, as each replica runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kasa_audit",
        "migrate",
        env={
            **os.environ,
            "DATABASE_URL": database.runtime_url,
            "MIGRATION_DATABASE_URL": database.migration_url,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    return process.returncode


@pytest.mark.integration
@pytest.mark.asyncio(loop_scope="session")
async def test_migrations_leave_audits_runtime_role_insert_and_select_only(real_infra):
    name = f"kasa_it_{real_infra.run_id}_{uuid4().hex[:6]}"
    databases = await infra.create_service_databases(
        real_infra.pg_admin_url, {"audit": name}, role_prefix=name
    )
    audit = databases["audit"]
    try:
        # Replicas start together: their migrations and grants take turns, none fails.
        codes = await asyncio.gather(*(migrate(audit) for _ in range(3)))
        assert codes == [0, 0, 0]
        await asyncio.to_thread(
            upgrade, AUDIT_MIGRATIONS, audit.migration_url, runtime_url=audit.runtime_url
        )
        # The real consumer appends as the runtime role: chain heads move, entries are added.
        db = Database(audit.runtime_url)
        subscription = Subscription.every_event(
            "audit.all", every_event.handle, parse=every_event.parse
        )
        try:
            workspace = uuid4()
            for i in range(3):
                event = every_event.parse(imported(workspace, f"x{i}"))
                await handle_event(db, subscription, event, EventWriter("audit"))
        finally:
            await db.dispose()

        await refused_rewrites(audit.runtime_url)

        connection = await asyncpg.connect(plain(audit.runtime_url))
        try:
            # No DDL at all: the runtime role owns nothing and may create nothing.
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("CREATE TABLE audit_shadow (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("UPDATE alembic_version SET version_num = '0001'")
            heads = await connection.fetchval(
                "SELECT seq FROM chain_heads WHERE workspace_id = $1", workspace
            )
            assert heads == 3
        finally:
            await connection.close()
    finally:
        await infra.drop_service_databases(real_infra.pg_admin_url, databases.values())


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://kasa:kasa@postgres:5432/kasa_ledger",
        "postgresql+asyncpg://kasa_ledger@postgres:5432/kasa_ledger",
        "postgresql+asyncpg://kasa_ledger:@postgres:5432/kasa_ledger",
        "postgresql+asyncpg://kasa_ledger:postgres@postgres:5432/kasa_ledger",
        "postgresql+asyncpg://kasa_ledger:kasa_ledger@postgres:5432/kasa_ledger",
    ],
)
@pytest.mark.parametrize("variable", ["DATABASE_URL", "MIGRATION_DATABASE_URL"])
def test_production_refuses_default_or_empty_database_passwords(
    url: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = "postgresql+asyncpg://kasa_ledger:Zq3-long-random@postgres:5432/kasa_ledger"
    monkeypatch.setenv("KASA_ENV", "production")
    monkeypatch.setenv("AMQP_URL", "amqp://kasa_ledger:Zq3-long-random@rabbitmq:5672/")
    monkeypatch.setenv("OPS_TOKEN", "o" * 64)
    monkeypatch.setenv("DATABASE_URL", good)
    monkeypatch.delenv("MIGRATION_DATABASE_URL", raising=False)
    assert ServiceSettings().migration_url == good
    monkeypatch.setenv(variable, url)
    with pytest.raises(ValueError, match=f"{variable} must carry a non-default password"):
        ServiceSettings()
    # Development keeps its simple local defaults.
    monkeypatch.setenv("KASA_ENV", "development")
    assert ServiceSettings().env == "development"
