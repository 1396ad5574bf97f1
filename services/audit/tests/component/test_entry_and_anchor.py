"""One entry by its id, and the workspace's last anchor: only the caller's workspace's."""

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy.engine import make_url

import kasa_audit
from kasa_audit.app.chain_anchors import anchor_round
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade

MIGRATIONS = Path(kasa_audit.__file__).parent / "db" / "migrations"
EVA = {"type": "user", "id": "u-1", "name": "Eva"}


def bearer(token, workspace_id):
    return {"Authorization": f"Bearer {token(workspace_id)}"}


async def anchor(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    db = Database(database_url)
    try:
        await anchor_round(db, EventWriter("audit"), timedelta(hours=24))
    finally:
        await db.dispose()


async def test_an_entry_is_read_by_its_id_in_its_own_workspace_only(client, token, event, feed):
    mine, theirs = uuid4(), uuid4()
    changes = {"name": {"before": "Acme", "after": "Acme s.r.o."}}
    await feed(
        event(
            "invoicing.client.updated",
            {"client_id": str(uuid4()), "changes": changes},
            workspace_id=mine,
            actor=EVA,
            correlation_id="req-1",
        ),
        event("invoicing.client.created", {"client_id": str(uuid4())}, workspace_id=theirs),
    )
    [listed] = client.get("/api/v1/audit-events", headers=bearer(token, mine)).json()["items"]

    found = client.get(f"/api/v1/audit-events/{listed['id']}", headers=bearer(token, mine))
    assert found.status_code == 200, found.text
    assert found.json() == listed
    assert found.json()["changes"] == {
        "name": {"before": "Acme", "after": "Acme s.r.o.", "redacted": False}
    }
    assert found.json()["actor"] == EVA and found.json()["correlation_id"] == "req-1"

    foreign = client.get(f"/api/v1/audit-events/{listed['id']}", headers=bearer(token, theirs))
    assert foreign.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")
    unknown = client.get(f"/api/v1/audit-events/{uuid4()}", headers=bearer(token, mine))
    assert unknown.status_code == 404
    assert client.get("/api/v1/audit-events/verify", headers=bearer(token, mine)).json()["ok"]
    export = client.get("/api/v1/audit-events/export", headers=bearer(token, mine))
    assert export.status_code == 200, "the entry's path shadows neither verify nor export"


async def test_the_last_anchor_is_the_workspaces_and_says_whether_the_trail_holds_it(
    client, token, event, feed, database_url
):
    mine, theirs = uuid4(), uuid4()
    latest = "/api/v1/audit-events/anchors/latest"
    assert client.get(latest, headers=bearer(token, mine)).status_code == 404, "not yet"
    await feed(
        *[
            event("integrations.transaction.imported", {"external_id": f"x{i}"}, workspace_id=ws)
            for i in range(3)
            for ws in (mine, theirs)
        ]
    )
    await feed(
        event("integrations.transaction.imported", {"external_id": "y"}, workspace_id=theirs)
    )
    await anchor(database_url)

    answer = client.get(latest, headers=bearer(token, mine))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    head = client.get("/api/v1/audit-events", headers=bearer(token, mine)).json()["items"][0]
    assert (body["seq"], body["hash"], body["holds"]) == (3, head["hash"], True)
    assert body["anchored_at"]
    assert client.get(latest, headers=bearer(token, theirs)).json()["seq"] == 4

    # Rewritten behind audit's back: the anchor no longer matches the entry it names.
    with sqlite3.connect(str(make_url(database_url).database)) as conn:
        conn.execute(
            "UPDATE audit_entries SET hash = ? WHERE id = ?",
            ("0" * 64, head["id"].replace("-", "")),
        )
    assert client.get(latest, headers=bearer(token, mine)).json()["holds"] is False
