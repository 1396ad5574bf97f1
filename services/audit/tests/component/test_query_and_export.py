"""Filtering, paging and exporting the trail: only the caller's workspace, ever."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

USER = {"type": "user", "id": "u-1", "name": "Eva"}
FIO = {"type": "plugin", "id": "fio", "name": "Fio"}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def bearer(token, workspace_id):
    return {"Authorization": f"Bearer {token(workspace_id)}"}


@pytest.fixture
async def trail(event, feed):
    """A small trail in one workspace, plus noise in another."""
    mine, other = uuid4(), uuid4()
    bodies = [
        event(
            "integrations.transaction.imported",
            {"external_id": "t1", "plugin": "fio", "plugin_version": "2.0"},
            workspace_id=mine,
            actor=FIO,
            correlation_id="sync-1",
            occurred_at=T0,
        ),
        event(
            "ledger.transaction.recorded",
            {"transaction_id": "L1"},
            workspace_id=mine,
            actor=FIO,
            correlation_id="sync-1",
            occurred_at=T0 + timedelta(minutes=1),
        ),
        event(
            "identity.user.registered",
            {"user_id": "u-1"},
            workspace_id=mine,
            actor=USER,
            correlation_id="req-7",
            occurred_at=T0 + timedelta(days=1),
        ),
        *[
            event(
                "integrations.transaction.imported",
                {"external_id": f"o{i}", "plugin": "fio"},
                workspace_id=other,
                actor=FIO,
                correlation_id="sync-1",
                occurred_at=T0,
            )
            for i in range(3)
        ],
    ]
    await feed(*bodies)
    return mine, other


def listed(client, token, workspace, **params):
    response = client.get("/api/v1/audit-events", params=params, headers=bearer(token, workspace))
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            [
                "identity.user.registered",
                "ledger.transaction.recorded",
                "integrations.transaction.imported",
            ],
        ),
        ({"entity_type": "transaction", "entity_id": "L1"}, ["ledger.transaction.recorded"]),
        ({"actor_type": "user"}, ["identity.user.registered"]),
        ({"actor_id": "fio"}, ["ledger.transaction.recorded", "integrations.transaction.imported"]),
        ({"source": "fio"}, ["integrations.transaction.imported"]),
        ({"source": "ledger"}, ["ledger.transaction.recorded"]),
        ({"event_type": "identity.user.registered"}, ["identity.user.registered"]),
        (
            {"correlation_id": "sync-1"},
            ["ledger.transaction.recorded", "integrations.transaction.imported"],
        ),
        (
            {"since": (T0 + timedelta(minutes=1)).isoformat()},
            ["identity.user.registered", "ledger.transaction.recorded"],
        ),
        ({"until": (T0 + timedelta(minutes=1)).isoformat()}, ["integrations.transaction.imported"]),
    ],
)
async def test_filters_narrow_the_trail_newest_first(client, token, trail, params, expected):
    mine, _ = trail
    assert [e["event_type"] for e in listed(client, token, mine, **params)] == expected


async def test_pages_walk_the_whole_trail_once(client, token, trail):
    mine, _ = trail
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit-events", params=params, headers=bearer(token, mine)).json()
        seen += [e["seq"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [3, 2, 1]


async def test_another_workspace_sees_nothing_of_mine(client, token, trail):
    _, other = trail
    theirs = listed(client, token, other, correlation_id="sync-1")
    assert len(theirs) == 3
    assert {e["entity_id"] for e in theirs} == {"o0", "o1", "o2"}
    export = client.get("/api/v1/audit-events/export", headers=bearer(token, other)).text
    assert "t1" not in export and "L1" not in export


async def test_export_as_json_lines_follows_the_filters(client, token, trail):
    mine, _ = trail
    response = client.get(
        "/api/v1/audit-events/export",
        params={"format": "jsonl", "correlation_id": "sync-1"},
        headers=bearer(token, mine),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert 'filename="audit-events.jsonl"' in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [e["entity_id"] for e in lines] == ["L1", "t1"]
    assert lines == listed(client, token, mine, correlation_id="sync-1")


async def test_export_as_csv_has_one_row_per_entry(client, token, trail):
    mine, _ = trail
    response = client.get(
        "/api/v1/audit-events/export", params={"format": "csv"}, headers=bearer(token, mine)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["seq"] for r in rows] == ["3", "2", "1"]
    imported = rows[2]
    assert (imported["actor_type"], imported["actor_id"]) == ("plugin", "fio")
    assert (imported["source_plugin"], imported["source_plugin_version"]) == ("fio", "2.0")
    assert imported["occurred_at"].startswith("2026-03-01T12:00:00")


async def test_a_large_export_streams_every_entry(client, token, event, feed):
    workspace = uuid4()
    await feed(
        *[
            event("integrations.sync.started", {"sync_id": f"s{i}"}, workspace_id=workspace)
            for i in range(1234)
        ]
    )
    with client.stream(
        "GET", "/api/v1/audit-events/export", headers=bearer(token, workspace)
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert [json.loads(line)["seq"] for line in lines] == list(range(1234, 0, -1))


async def test_unknown_export_format_is_a_422_problem(client, token):
    response = client.get(
        "/api/v1/audit-events/export", params={"format": "xlsx"}, headers=bearer(token, uuid4())
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_trail_needs_a_token(client):
    assert client.get("/api/v1/audit-events").status_code == 401
    assert client.get("/api/v1/audit-events/export").status_code == 401
    assert client.get("/api/v1/audit-events/verify").status_code == 401
