"""The audit trail through the gateway: chained, exportable, workspace-scoped, replayable."""

import csv
import io
import json

import httpx
import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


async def test_a_sync_is_in_the_trail_verifiable_exportable_and_readable_back(system):
    user = await system.user()
    sync_id = await user.start_sync(30, traceparent=f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    assert (await user.wait_sync(sync_id))["status"] == "completed"
    # 30 imports, the sync start and end, and 30 ledger recordings, all under the sync's id.
    entries = await eventually(
        lambda: user.all_items("/api/v1/audit-events", correlation_id=sync_id),
        lambda items: len(items) >= 62,
        what="the sync's audit entries",
    )
    by_type = {e["event_type"] for e in entries}
    # Entries applied in batches still carry the trace each event travelled with.
    assert {e["trace_id"] for e in entries} == {TRACE_ID}
    assert {"integrations.transaction.imported", "ledger.transaction.recorded"} <= by_type
    recorded = [e for e in entries if e["event_type"] == "ledger.transaction.recorded"]
    imported_ids = {e["event_id"] for e in entries if e["action"] == "imported"}
    assert {e["causation_id"] for e in recorded} <= imported_ids

    registered = await user.all_items("/api/v1/audit-events", event_type="identity.user.registered")
    assert [e["actor"]["type"] for e in registered] == ["user"]
    # A sign-in event says where the person was: the gateway, their address and browser.
    source = registered[0]["source"]
    assert source["service"] == "gateway" and source.get("plugin") is None
    assert source["address"] == "127.0.0.1"
    assert source["user_agent"].startswith("python-httpx/")

    verified = (await user.get("/api/v1/audit-events/verify")).json()
    assert verified["ok"] is True and verified["first_broken"] is None
    assert verified["checked"] >= len(entries) + 1

    jsonl = await user.get(
        "/api/v1/audit-events/export", params={"format": "jsonl", "correlation_id": sync_id}
    )
    assert jsonl.status_code == 200
    exported = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [e["id"] for e in exported] == [e["id"] for e in entries]
    table = await user.get(
        "/api/v1/audit-events/export", params={"format": "csv", "source": "demo"}
    )
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) >= 30 and {r["source_plugin"] for r in rows} == {"demo"}

    # Nobody else sees any of it.
    stranger = await system.user()
    assert await stranger.count("/api/v1/audit-events", correlation_id=sync_id) == 0
    other = await stranger.get("/api/v1/audit-events/export", params={"correlation_id": sync_id})
    assert other.status_code == 200 and other.text == ""

    # The archive is for operators on audit's ops listener; the gateway does not route it.
    assert (await user.get("/internal/archive")).status_code == 404
    workspace_id = user.user["workspace_id"]
    async with httpx.AsyncClient(
        base_url=system.ops_url("audit"),
        headers={"Authorization": f"Bearer {system.ops_token}"},
        timeout=30,
    ) as audit:
        response = await audit.get(
            "/internal/archive",
            params={
                "workspace_id": workspace_id,
                "event_type": "integrations.transaction.imported",
            },
        )
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 30
    assert {line["routing_key"] for line in lines} == {"integrations.transaction.imported.v1"}
    bodies = [json.loads(line["body"]) for line in lines]
    assert {b["correlation_id"] for b in bodies} == {sync_id}
    assert [b["occurred_at"] for b in bodies] == sorted(b["occurred_at"] for b in bodies)
