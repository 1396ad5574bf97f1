"""Alembic migrations per service, run before the service starts or by ``<service> migrate``.

On PostgreSQL a service has two roles (see docs/security.md): the owner of its schema, which
runs the migrations (``MIGRATION_DATABASE_URL``), and the role the service runs as
(``DATABASE_URL``), which can read and write rows but change no table. After migrating, the
owner grants the runtime role what it needs, in the same transaction as the migrations.
"""

import asyncio
import re
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kasa_servicekit.db import _prepare_sqlite
from kasa_servicekit.tables import kit_metadata

APPEND_ONLY_FUNCTION = "kasa_refuse_change"
"""The trigger function that refuses UPDATE, DELETE and TRUNCATE of a table's rows.

A table guarded by it is append-only, and its runtime role gets ``SELECT`` and ``INSERT`` on
it only: the privileges say what the trigger says, so the service cannot even reach the
trigger, and a role that cannot own the table cannot disable it.
"""

_RUNTIME_ROLE = "kasa.runtime_role"
# One migrator per database at a time (PostgreSQL's advisory locks are per database): replicas
# that start together would otherwise race on the DDL and on the grants' catalog rows.
_MIGRATION_LOCK = 0x6B617361_6D696772  # "kasamigr"
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def runtime_role(migration_url: str, runtime_url: str | None) -> str | None:
    """The role to grant the runtime privileges to, or None when there is nothing to grant.

    Nothing is granted on SQLite, or when the service runs as the role that migrates (one URL,
    as in simple setups and the component tests).
    """
    if runtime_url is None or migration_url.startswith("sqlite"):
        return None
    runtime, owner = make_url(runtime_url), make_url(migration_url)
    if runtime.get_backend_name() != "postgresql" or not runtime.username:
        return None
    if runtime.username == owner.username:
        return None
    if not _ROLE_NAME.match(runtime.username):
        raise ValueError(f"database role {runtime.username!r} is not a plain identifier")
    return runtime.username


def upgrade(
    migrations_dir: Path,
    database_url: str,
    revision: str = "head",
    *,
    runtime_url: str | None = None,
) -> None:
    """Migrate with ``database_url``; then grant ``runtime_url``'s role its row privileges."""
    if database_url.startswith("sqlite"):
        _prepare_sqlite(database_url)
    config = alembic_config(migrations_dir, database_url)
    config.attributes[_RUNTIME_ROLE] = runtime_role(database_url, runtime_url)
    command.upgrade(config, revision)


def grant_runtime_privileges(connection: Connection, role: str) -> None:
    """Row privileges for the service's runtime role on everything the owner has created.

    Every table: ``SELECT, INSERT, UPDATE, DELETE`` (never ``TRUNCATE``, ``REFERENCES`` or
    ``TRIGGER``); every sequence: ``USAGE, SELECT``; the same by default for what later
    migrations create. Tables guarded by ``APPEND_ONLY_FUNCTION`` get ``SELECT, INSERT`` only,
    and Alembic's version table ``SELECT`` only. Idempotent: it runs after every migration.
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"database role {role!r} is not a plain identifier")
    grantee = connection.dialect.identifier_preparer.quote(role)
    schema = connection.dialect.identifier_preparer.quote(
        connection.execute(text("SELECT current_schema()")).scalar_one()
    )
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {grantee}",
        f"REVOKE INSERT, UPDATE, DELETE ON TABLE {schema}.alembic_version FROM {grantee}",
    ]
    for statement in statements:
        connection.execute(text(statement))
    append_only = connection.execute(
        text(
            "SELECT DISTINCT c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE n.nspname = current_schema() AND p.proname = :function AND NOT t.tgisinternal"
        ),
        {"function": APPEND_ONLY_FUNCTION},
    ).scalars()
    for table in append_only:
        quoted = connection.dialect.identifier_preparer.quote(table)
        connection.execute(text(f"REVOKE UPDATE, DELETE ON TABLE {schema}.{quoted} FROM {grantee}"))


def run_env(service_metadata: MetaData, *extra: MetaData) -> None:
    """The body of every service's ``migrations/env.py``: its tables plus outbox and inbox.

    ``extra`` adds opt-in kit tables, e.g. ``idempotency_metadata``.
    """
    target = [service_metadata, kit_metadata, *extra]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    role = context.config.attributes.get(_RUNTIME_ROLE)

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            context.run_migrations()
            # In the migrations' transaction: the runtime role never sees a table it may not use.
            if role and connection.dialect.name == "postgresql":
                grant_runtime_privileges(connection, role)

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())
