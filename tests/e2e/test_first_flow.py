"""The first flow, for real: register, token, a demo sync, ledger and audit through the gateway."""

import asyncio

import asyncpg
import pytest

from kasa_localstack.testing import eventually, metric

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def imported_audit_count(user, sync_id: str) -> int:
    return await user.count(
        "/api/v1/audit-events",
        event_type="integrations.transaction.imported",
        correlation_id=sync_id,
    )


async def test_demo_sync_reaches_ledger_and_audit_exactly_once(system):
    user = await system.user()
    me = await user.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["workspace"]["role"] == "owner"

    sync_id = await user.start_sync(1000, traceparent=f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    sync = await user.wait_sync(sync_id)
    assert sync["status"] == "completed"
    assert (sync["records_processed"], sync["records_created"]) == (1000, 1000)

    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 1000,
        what="1,000 ledger transactions",
    )
    await eventually(
        lambda: imported_audit_count(user, sync_id), lambda n: n >= 1000, what="1,000 audit entries"
    )
    transactions = await user.all_items("/api/v1/transactions")
    assert len(transactions) == 1000
    assert len({t["external_id"] for t in transactions}) == 1000
    assert {t["source"] for t in transactions} == {"demo"}
    assert all(isinstance(t["amount"], str) for t in transactions)

    entries = await user.all_items(
        "/api/v1/audit-events",
        event_type="integrations.transaction.imported",
        correlation_id=sync_id,
    )
    assert len(entries) == 1000
    entry = entries[0]
    assert entry["actor"] == {"type": "plugin", "id": "demo", "name": "Demo bank"}
    assert entry["source"] == {
        "service": "integrations",
        "plugin": "demo",
        "plugin_version": "1.0.0",
    }
    # The caller's trace followed the request through the gateway, the outbox and RabbitMQ.
    assert {e["trace_id"] for e in entries} == {TRACE_ID}

    # Another workspace sees none of it.
    stranger = await system.user()
    assert await stranger.count("/api/v1/transactions") == 0
    assert (await stranger.get(f"/api/v1/transactions/{transactions[0]['id']}")).status_code == 404
    assert (await stranger.get(f"/api/v1/syncs/{sync_id}")).status_code == 404


async def test_events_delivered_twice_are_applied_once(system):
    user = await system.user()
    sync_id = await user.start_sync(1000)
    await user.wait_sync(sync_id)
    await eventually(
        lambda: user.count("/api/v1/transactions"), lambda n: n >= 1000, what="first delivery"
    )
    await eventually(
        lambda: imported_audit_count(user, sync_id),
        lambda n: n >= 1000,
        what="first audit delivery",
    )

    ledger = system.ops_url("ledger")
    before = await metric(
        ledger, "kasa_events_consumed_total", queue="ledger.transactions", outcome="duplicate"
    )
    # Publish the same events again: the relay republishes rows marked unpublished.
    url = system.database_urls["integrations"].replace("+asyncpg", "")
    connection = await asyncpg.connect(url)
    try:
        republished = await connection.execute(
            "UPDATE outbox SET published_at = NULL WHERE correlation_id = $1 "
            "AND routing_key = 'integrations.transaction.imported.v1'",
            sync_id,
        )
    finally:
        await connection.close()
    assert republished == "UPDATE 1000"

    await eventually(
        lambda: metric(
            ledger, "kasa_events_consumed_total", queue="ledger.transactions", outcome="duplicate"
        ),
        lambda n: n >= before + 1000,
        what="1,000 duplicates seen by the ledger",
    )
    await asyncio.sleep(1)
    assert await user.count("/api/v1/transactions") == 1000
    assert await imported_audit_count(user, sync_id) == 1000
