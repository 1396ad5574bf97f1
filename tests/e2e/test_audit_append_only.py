"""Audit on real PostgreSQL: the database refuses to rewrite the trail, and the chain shows it.

Runs the audit migrations on an empty database and drives the real consumer and the real app
(no gateway needed: the test signs its own tokens).
"""

import asyncio
import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import kasa_audit
from kasa_audit.consumers import every_event
from kasa_audit.main import build
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
KEY = Ed25519PrivateKey.generate()


def token(workspace_id: UUID) -> str:
    claims = {
        "sub": str(uuid4()),
        "wid": str(workspace_id),
        "role": "owner",
        "jti": str(uuid4()),
        "sid": str(uuid4()),
        "iss": "kasa-gateway",
        "aud": "kasa",
        "exp": int(time.time()) + 600,
    }
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "t"})


def public_jwk() -> dict[str, str]:
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "t", "alg": "EdDSA"}


def body(workspace_id: UUID, external_id: str) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": "integrations.transaction.imported",
            "event_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": "integrations",
            "workspace_id": str(workspace_id),
            "actor": {"type": "plugin", "id": "demo", "name": "Demo bank"},
            "correlation_id": "sync-1",
            "payload": {"external_id": external_id, "plugin": "demo", "plugin_version": "1.0.0"},
        }
    ).encode()


AUDIT_ALL = Subscription.every_event("audit.all", every_event.handle, parse=every_event.parse)


async def migrated(url: str) -> Database:
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    return Database(url)


async def deliver(db: Database, *bodies: bytes) -> None:
    await asyncio.gather(
        *(handle_event(db, AUDIT_ALL, every_event.parse(b), EventWriter("audit")) for b in bodies)
    )


async def verify(url: str, workspace_id: UUID) -> dict:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        env.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
        app = create_app(build())
    app.state.verifier = JwksVerifier.with_keys([public_jwk()], "kasa-gateway", "kasa")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            response = await client.get(
                "/api/v1/audit-events/verify",
                headers={"Authorization": f"Bearer {token(workspace_id)}"},
            )
    finally:
        await app.state.runtime.db.dispose()
    assert response.status_code == 200, response.text
    return response.json()


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


async def test_updates_deletes_and_truncates_are_refused_by_the_database(fresh_database):
    db = await migrated(fresh_database)
    workspace = uuid4()
    try:
        await deliver(db, *(body(workspace, f"x{i}") for i in range(3)))
    finally:
        await db.dispose()

    connection = await asyncpg.connect(plain(fresh_database))
    try:
        for table in ("audit_entries", "event_archive"):
            for statement in (
                f"UPDATE {table} SET workspace_id = '{uuid4()}'",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM audit_entries") == 3
        assert await connection.fetchval("SELECT count(*) FROM event_archive") == 3
    finally:
        await connection.close()


async def test_an_edit_made_with_the_trigger_disabled_is_named_by_verify(fresh_database):
    db = await migrated(fresh_database)
    workspace = uuid4()
    try:
        await deliver(db, *(body(workspace, f"x{i}") for i in range(5)))
    finally:
        await db.dispose()
    assert await verify(fresh_database, workspace) == {
        "ok": True,
        "checked": 5,
        "first_broken": None,
    }

    connection = await asyncpg.connect(plain(fresh_database))
    try:
        # The table owner can switch the protection off; the hash chain still gives it away.
        async with connection.transaction():
            await connection.execute(
                "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"
            )
            edited = await connection.fetchrow(
                "UPDATE audit_entries SET actor_id = 'nobody' WHERE workspace_id = $1 "
                "AND seq = 4 RETURNING id, event_id",
                workspace,
            )
            await connection.execute(
                "ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"
            )
    finally:
        await connection.close()

    result = await verify(fresh_database, workspace)
    assert result["ok"] is False
    assert result["first_broken"] == {
        "seq": 4,
        "reason": "content does not match its hash",
        "id": str(edited["id"]),
        "event_id": str(edited["event_id"]),
    }


async def test_concurrent_appends_keep_every_workspace_chain_whole(fresh_database):
    db = await migrated(fresh_database)
    workspaces = [uuid4() for _ in range(3)]
    try:
        # Interleaved and concurrent: appends to one workspace wait for its head row lock.
        await deliver(db, *(body(ws, f"x{i}") for i in range(40) for ws in workspaces))
    finally:
        await db.dispose()
    for workspace in workspaces:
        assert await verify(fresh_database, workspace) == {
            "ok": True,
            "checked": 40,
            "first_broken": None,
        }
