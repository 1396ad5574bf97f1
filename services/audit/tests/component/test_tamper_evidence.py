"""The per-workspace hash chain: verify holds for an intact trail and names an edited entry."""

import sqlite3
from uuid import uuid4

from sqlalchemy.engine import make_url


def bearer(token, workspace_id, role="owner"):
    return {"Authorization": f"Bearer {token(workspace_id, role)}"}


def sqlite_file(database_url: str) -> str:
    return str(make_url(database_url).database)


async def test_an_intact_trail_verifies_per_workspace(client, token, event, feed):
    mine, theirs = uuid4(), uuid4()
    bodies = [
        event("integrations.transaction.imported", {"external_id": f"x{i}"}, workspace_id=ws)
        for i in range(5)
        for ws in (mine, theirs)
    ]
    await feed(*bodies)

    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, mine))
    assert result.status_code == 200
    assert result.json() == {"ok": True, "checked": 5, "first_broken": None}

    entries = client.get("/api/v1/audit-events", headers=bearer(token, mine)).json()["items"]
    assert sorted(e["seq"] for e in entries) == [1, 2, 3, 4, 5], "each workspace has its chain"


async def test_an_empty_trail_verifies(client, token):
    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, uuid4()))
    assert result.json() == {"ok": True, "checked": 0, "first_broken": None}


async def test_verify_names_an_entry_edited_behind_the_services_back(
    client, token, event, feed, database_url
):
    workspace = uuid4()
    await feed(
        *[
            event("integrations.transaction.imported", {"external_id": f"x{i}"}, workspace_id=ws)
            for i in range(6)
            for ws in (workspace, uuid4())
        ]
    )
    entries = client.get("/api/v1/audit-events", headers=bearer(token, workspace)).json()["items"]
    third = next(e for e in entries if e["seq"] == 3)

    with sqlite3.connect(sqlite_file(database_url)) as conn:
        conn.execute(
            "UPDATE audit_entries SET actor_id = 'someone-else' WHERE id = ?",
            (third["id"].replace("-", ""),),
        )
    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, workspace)).json()
    assert result["ok"] is False
    assert result["checked"] == 3
    assert result["first_broken"] == {
        "seq": 3,
        "reason": "content does not match its hash",
        "id": third["id"],
        "event_id": third["event_id"],
    }


async def test_a_rehashed_edit_breaks_the_next_link_and_a_removed_entry_is_missing(
    client, token, event, feed, database_url
):
    workspace = uuid4()
    await feed(
        *[
            event("integrations.sync.started", {"sync_id": f"s{i}"}, workspace_id=workspace)
            for i in range(4)
        ]
    )
    path = sqlite_file(database_url)
    with sqlite3.connect(path) as conn:
        # Someone who also rewrites the edited entry's own hash still breaks its successor.
        conn.execute("UPDATE audit_entries SET hash = ? WHERE seq = 2", ("f" * 64,))
    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, workspace)).json()
    assert result["first_broken"]["seq"] == 2

    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq IN (2, 4)")
    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, workspace)).json()
    assert result["first_broken"] == {
        "seq": 2,
        "reason": "missing",
        "id": None,
        "event_id": None,
    }


async def test_a_removed_last_entry_is_missing(client, token, event, feed, database_url):
    workspace = uuid4()
    await feed(
        *[
            event("integrations.sync.started", {"sync_id": f"s{i}"}, workspace_id=workspace)
            for i in range(3)
        ]
    )
    with sqlite3.connect(sqlite_file(database_url)) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq = 3")
    result = client.get("/api/v1/audit-events/verify", headers=bearer(token, workspace)).json()
    assert result["ok"] is False
    assert result["first_broken"]["seq"] == 3
    assert result["first_broken"]["reason"] == "missing"
