"""Anchoring chain heads outside the database: only moved heads, once, and checkable."""

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy.engine import make_url

import kasa_audit
from kasa_audit.app.chain_anchors import anchor_round
from kasa_audit.db.chain import head_of
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.testing import outbox_events

MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
ANCHORED = "audit.chain.anchored.v1"


async def anchor_now(db, refresh_after=timedelta(hours=24)):
    return await anchor_round(db, EventWriter("audit"), refresh_after)


@pytest.fixture
async def db(database_url):
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


def imported(event, workspace, n):
    return [
        event("integrations.transaction.imported", {"external_id": f"x{i}"}, workspace_id=workspace)
        for i in range(n)
    ]


def sent(envelopes):
    return {(e.workspace_id, e.payload.seq, e.payload.hash) for e in envelopes}


async def test_only_heads_that_moved_since_their_last_anchor_are_anchored(db, event, feed):
    a, b = uuid4(), uuid4()
    await feed(*imported(event, a, 3), *imported(event, b, 2))

    first = await anchor_now(db)
    head_a, head_b = await head_of(db, a), await head_of(db, b)
    assert sent(first) == {(a, 3, head_a.hash), (b, 2, head_b.hash)}
    assert {e.routing_key for e in first} == {ANCHORED}

    await feed(*imported(event, a, 1))
    second = await anchor_now(db)
    assert sent(second) == {(a, 4, (await head_of(db, a)).hash)}, "b did not move"

    assert await anchor_now(db) == [], "nothing moved, nothing is published"
    published = await outbox_events(db, ANCHORED)
    assert [e.event_id for e in published] == [e.event_id for e in first + second]
    assert all(e.payload.workspace_id == e.workspace_id for e in published)


async def test_a_head_that_did_not_move_is_anchored_again_once_its_anchor_is_old(db, event, feed):
    quiet, busy = uuid4(), uuid4()
    await feed(*imported(event, quiet, 2), *imported(event, busy, 1))
    first = await anchor_now(db)
    await feed(*imported(event, busy, 1))

    assert sent(await anchor_now(db, refresh_after=timedelta(hours=1))) == {
        (busy, 2, (await head_of(db, busy)).hash)
    }
    # Every anchor is now older than a zero refresh: the quiet head is published again, so
    # the archive stream, which forgets old messages, still holds an anchor of it.
    again = await anchor_now(db, refresh_after=timedelta(0))
    assert sent(again) == {
        (quiet, 2, next(e.payload.hash for e in first if e.workspace_id == quiet)),
        (busy, 2, (await head_of(db, busy)).hash),
    }


async def test_audit_archives_its_own_anchors_without_moving_the_chain(db, event, feed):
    workspace = uuid4()
    await feed(*imported(event, workspace, 2))
    [anchor] = await anchor_now(db)

    # The anchor comes back to audit through the ``#`` binding, like every event.
    await feed(anchor.model_dump_json().encode())

    head = await head_of(db, workspace)
    assert (head.seq, head.hash) == (anchor.payload.seq, anchor.payload.hash)
    assert await anchor_now(db) == [], "no anchor of an anchor, so no endless loop"
    file = str(make_url(db.engine.url).database)
    with sqlite3.connect(file) as conn:
        archived = conn.execute(
            "SELECT body FROM event_archive WHERE routing_key = ?", (ANCHORED,)
        ).fetchall()
    assert [json.loads(body)["payload"]["seq"] for (body,) in archived] == [2]


async def test_the_check_names_anchors_whose_entry_was_rewritten_or_removed(
    ops, event, feed, database_url
):
    workspace = uuid4()
    await feed(*imported(event, workspace, 4))
    db = Database(database_url)
    try:
        [anchor] = await anchor_now(db)
    finally:
        await db.dispose()
    anchors = [
        {"workspace_id": str(workspace), "seq": 4, "hash": anchor.payload.hash},
        {"workspace_id": str(workspace), "seq": 9, "hash": "f" * 64},
    ]

    result = ops.post("/ops/audit/anchors/check", json={"anchors": anchors[:1]}).json()
    assert result == {"ok": True, "checked": 1, "failed": []}

    with sqlite3.connect(str(make_url(database_url).database)) as conn:
        conn.execute(
            "UPDATE audit_entries SET hash = ? WHERE seq = 4 AND workspace_id = ?",
            ("e" * 64, workspace.hex),
        )
    result = ops.post("/ops/audit/anchors/check", json={"anchors": anchors}).json()
    assert result["ok"] is False
    assert [(f["seq"], f["status"], f["stored_hash"]) for f in result["failed"]] == [
        (4, "differs", "e" * 64),
        (9, "missing", None),
    ]
    assert result["failed"][0]["anchored_hash"] == anchor.payload.hash
