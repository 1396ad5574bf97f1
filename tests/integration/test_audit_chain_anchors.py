"""Audit chain anchors on PostgreSQL and RabbitMQ: a consistent rewrite of the trail is caught.

Runs the real audit service (consumers, outbox relay and anchoring job) on an empty database
and broker. Whoever owns the database can switch the append-only triggers off and rewrite a
tail of the chain with recomputed hashes, which the chain walk alone cannot see; the anchors
kept in the broker's archive stream still name the rewritten entry.
"""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import pytest
import uvicorn

import kasa_audit
from kasa_audit.consumers import every_event
from kasa_audit.db.chain import entries_in_order
from kasa_audit.domain.chain import link
from kasa_audit.main import build
from kasa_localstack import infra
from kasa_localstack.testing import eventually, free_port, run_kasa
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app, ops_app

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
AUDIT_ALL = Subscription.every_event("audit.all", every_event.handle, parse=every_event.parse)


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


async def deliver(db: Database, workspace_id: UUID, *external_ids: str) -> None:
    for external_id in external_ids:
        envelope = every_event.parse(body(workspace_id, external_id))
        await handle_event(db, AUDIT_ALL, envelope, EventWriter("audit"))


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


OPS_TOKEN = "operator-token-of-the-anchor-test-0123456789"


async def kasa(audit_url: str, amqp_url: str, *args: str) -> tuple[int, dict]:
    env = {"AMQP_URL": amqp_url, "KASA_AUDIT_OPS_URL": audit_url, "OPS_TOKEN": OPS_TOKEN}
    return await run_kasa(env, *args)


async def anchored_and_published(connection: asyncpg.Connection, workspace: UUID) -> int:
    """The last anchored seq of the workspace once the broker has confirmed it, else 0."""
    seq = await connection.fetchval(
        "SELECT seq FROM chain_anchors WHERE workspace_id = $1", workspace
    )
    waiting = await connection.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'audit.chain.anchored.v1' "
        "AND published_at IS NULL"
    )
    return int(seq or 0) if waiting == 0 else 0


async def rewrite_from(url: str, db: Database, workspace: UUID, seq: int) -> UUID:
    """Edit entry ``seq`` as the database owner and relink it, its successors and the head."""
    rows = [row async for row in entries_in_order(db, workspace)]
    prev_hash = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    rows[seq - 1]["actor_id"] = "someone-else"
    connection = await asyncpg.connect(plain(url))
    try:
        async with connection.transaction():
            await connection.execute(
                "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"
            )
            for row in rows[seq - 1 :]:
                new_hash = link(prev_hash, row)
                await connection.execute(
                    "UPDATE audit_entries SET actor_id = $1, prev_hash = $2, hash = $3 "
                    "WHERE id = $4",
                    row["actor_id"],
                    prev_hash,
                    new_hash,
                    row["id"],
                )
                prev_hash = new_hash
            await connection.execute(
                "UPDATE chain_heads SET hash = $1 WHERE workspace_id = $2", prev_hash, workspace
            )
            await connection.execute(
                "ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"
            )
    finally:
        await connection.close()
    return UUID(str(rows[seq - 1]["id"]))


@pytest.fixture
def own_vhost(real_infra):
    """A virtual host of this test's own: other tests' audit queues and archive stay away."""
    url = infra.fresh_vhost(real_infra.amqp_url, f"kasa-anchors-{uuid4().hex[:8]}")
    yield url
    if url != real_infra.amqp_url:
        infra.delete_vhost(urlsplit(url).path.lstrip("/"))


async def test_a_consistent_rewrite_passes_the_chain_walk_but_not_the_anchors(
    own_vhost, fresh_database
):
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", fresh_database)
        env.setenv("AMQP_URL", own_vhost)
        env.setenv("AUDIT_ANCHOR_SECONDS", "0.3")
        env.setenv("OUTBOX_POLL_SECONDS", "0.1")
        env.setenv("OPS_TOKEN", OPS_TOKEN)
        # One admin user on this vhost, no per-service users: the sender check cannot apply.
        env.setenv("EVENT_SENDER_CHECK", "false")
        app = create_app(build())
    port, ops_port = free_port(), free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    # kasa talks to the ops listener; the public server above runs the app's lifespan.
    ops = uvicorn.Server(
        uvicorn.Config(ops_app(app), port=ops_port, lifespan="off", log_level="warning")
    )
    ops_serving = asyncio.create_task(ops.serve())
    audit_url = f"http://127.0.0.1:{ops_port}"
    db = Database(fresh_database)
    watcher = await asyncpg.connect(plain(fresh_database))
    workspace, bystander = uuid4(), uuid4()
    try:

        async def serving_yet() -> bool:
            return server.started and ops.started

        await eventually(serving_yet, bool, what="audit serving")
        await deliver(db, workspace, "a", "b", "c")
        await deliver(db, bystander, "z")
        await eventually(
            lambda: anchored_and_published(watcher, workspace), lambda s: s == 3, what="anchor 3"
        )
        await deliver(db, workspace, "d", "e")
        await eventually(
            lambda: anchored_and_published(watcher, workspace), lambda s: s == 5, what="anchor 5"
        )

        code, intact = await kasa(audit_url, own_vhost, "audit", "verify", "--anchors")
        assert (code, intact["ok"], intact["anchors"]["failed"]) == (0, True, [])
        assert intact["anchors"]["checked"] >= 3, "anchors of both workspaces were checked"

        rewritten = await rewrite_from(fresh_database, db, workspace, 3)

        code, walk = await kasa(audit_url, own_vhost, "audit", "verify")
        assert (code, walk["ok"]) == (0, True), "the rewrite is consistent: the walk holds"

        code, report = await kasa(
            audit_url, own_vhost, "audit", "verify", "--anchors", "--idle", "2"
        )
        assert code == 1
        assert report["ok"] is False and report["chain"]["ok"] is True
        failed = report["anchors"]["failed"]
        assert {f["workspace_id"] for f in failed} == {str(workspace)}
        assert {f["status"] for f in failed} == {"differs"}
        first = failed[0]
        assert (first["seq"], first["entry_id"]) == (3, str(rewritten))
        assert [f["seq"] for f in failed][-1] == 5, "every later anchor differs as well"
    finally:
        server.should_exit = ops.should_exit = True
        await asyncio.wait_for(serving, timeout=30)
        await asyncio.wait_for(ops_serving, timeout=30)
        await watcher.close()
        await db.dispose()
