"""Crashes, broker outages and poison messages lose nothing and duplicate nothing."""

import asyncio
import json
import uuid

import aio_pika
import asyncpg
import httpx
import pytest

from kasa_localstack.testing import eventually, metric

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_ledger_killed_mid_sync_books_every_transaction_once(system):
    user = await system.user()
    ledger = system.stack.services["ledger"]
    handled_before = await metric(
        system.ops_url("ledger"),
        "kasa_events_consumed_total",
        queue="ledger.transactions",
        outcome="handled",
    )
    sync_id = await user.start_sync(10_000)

    handled = await eventually(
        lambda: metric(
            system.ops_url("ledger"),
            "kasa_events_consumed_total",
            queue="ledger.transactions",
            outcome="handled",
        ),
        lambda n: n >= handled_before + 500,
        interval=0.05,
        timeout=120,
        what="ledger in the middle of the sync",
    )
    ledger.kill()
    assert handled - handled_before < 10_000, "the kill must land in the middle of the sync"
    down = await user.get("/api/v1/transactions")
    assert down.status_code == 503, "the gateway answers for a service that is down"

    ledger.start()
    await ledger.wait_ready()
    assert (await user.wait_sync(sync_id, timeout=180))["records_created"] == 10_000
    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 10_000,
        timeout=300,
        interval=2,
        what="10,000 ledger transactions",
    )
    await asyncio.sleep(2)  # anything redelivered after the restart has had time to land
    transactions = await user.all_items("/api/v1/transactions")
    assert len(transactions) == 10_000
    assert len({t["external_id"] for t in transactions}) == 10_000


async def test_audit_killed_mid_import_keeps_one_whole_chain_with_every_event_once(system):
    user = await system.user()
    audit = system.stack.services["audit"]
    workspace = uuid.UUID(user.user["workspace_id"])
    audit_db = await asyncpg.connect(system.database_urls["audit"].replace("+asyncpg", ""))

    async def trail() -> dict[str, int]:
        row = await audit_db.fetchrow(
            "SELECT count(*) FILTER (WHERE event_type = 'integrations.transaction.imported') AS "
            "imported, count(*) FILTER (WHERE event_type = 'ledger.transaction.recorded') AS "
            "recorded, count(*) AS entries, count(DISTINCT event_id) AS events, "
            "coalesce(max(seq), 0) AS head FROM audit_entries WHERE workspace_id = $1",
            workspace,
        )
        return dict(row)

    try:
        sync_id = await user.start_sync(5_000)
        # Audit extends the chain a batch at a time; the kill lands between or inside batches.
        seen = await eventually(
            trail,
            lambda t: t["imported"] >= 600,
            interval=0.05,
            timeout=120,
            what="audit mid-import",
        )
        audit.kill()
        assert seen["imported"] < 5_000, "the kill must land in the middle of the import"

        audit.start()
        await audit.wait_ready()
        await user.wait_sync(sync_id, timeout=180)
        await eventually(
            trail,
            lambda t: t["imported"] >= 5_000 and t["recorded"] >= 5_000,
            timeout=300,
            interval=1,
            what="every import and booking on the trail",
        )
        await asyncio.sleep(2)  # anything redelivered after the restart has had time to land
        after = await trail()
        assert (after["imported"], after["recorded"]) == (5_000, 5_000)
        assert after["entries"] == after["events"], "no event has two entries"
        assert after["head"] == after["entries"], "the chain has no gap and no fork"
        archived = await audit_db.fetchval(
            "SELECT count(*) FROM event_archive WHERE workspace_id = $1 AND routing_key <> $2",
            workspace,
            "audit.chain.anchored.v1",  # anchors are archived, never chained
        )
        assert archived == after["entries"], "each event archived once, next to its entry"

        verified = (await user.get("/api/v1/audit-events/verify")).json()
        assert verified["ok"] is True and verified["first_broken"] is None
        assert verified["checked"] == after["entries"]
    finally:
        await audit_db.close()


async def test_events_written_while_the_broker_is_unreachable_all_arrive(system):
    user = await system.user()
    integrations = system.url("integrations")
    await system.proxy.cut()
    try:

        async def readiness() -> int:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{integrations}/health/ready")).status_code

        await eventually(readiness, lambda code: code == 503, what="integrations not ready")
        sync_id = await user.start_sync(500)
        assert (await user.wait_sync(sync_id))["status"] == "completed"
        await asyncio.sleep(1)
        assert await user.count("/api/v1/transactions") == 0, "nothing can have been published"
    finally:
        await system.proxy.start()

    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 500,
        timeout=120,
        what="every event after the broker came back",
    )
    assert await user.count("/api/v1/transactions") == 500
    completed = await user.count(
        "/api/v1/audit-events", correlation_id=sync_id, event_type="integrations.sync.completed"
    )
    assert completed == 1


async def parked_messages(amqp_url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    messages = []
    try:
        channel = await connection.channel()
        parked = await channel.get_queue(queue, ensure=True)
        while (message := await parked.get(fail=False, no_ack=False)) is not None:
            messages.append(message)
        await channel.close()  # unacked: they go back to the parking queue
    finally:
        await connection.close()
    return messages


async def test_poison_messages_are_parked_and_the_consumer_keeps_going(system):
    user = await system.user()
    unreadable_id = str(uuid.uuid4())
    failing_id = str(uuid.uuid4())
    failing = {
        "event_id": failing_id,
        "event_type": "integrations.transaction.imported",
        "event_version": 1,
        "occurred_at": "2026-01-31T10:00:00Z",
        "producer": "integrations",
        "workspace_id": user.user["workspace_id"],
        "actor": {"type": "plugin", "id": "demo"},
        "payload": {
            "plugin": "demo",
            "plugin_version": "1.0.0",
            "sync_id": str(uuid.uuid4()),
            "account": {"provider_account_id": "x", "currency": "CZK"},
            "external_id": f"poison-{failing_id}",
            "booking_date": "2026-01-31",
            "amount": "10.00",
            "direction": "income",
            "currency": "CZK",
            # Valid on the wire, but PostgreSQL stores no NUL character in a text column:
            # the handler fails each time.
            "counterparty_name": "Nul\u0000Byte",
        },
    }
    # As the owner of the event type, which is all the ledger accepts it from.
    connection = await aio_pika.connect(system.broker_url("integrations"))
    try:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b"{not json", message_id=unreadable_id),
            routing_key="ledger.transactions",
        )
        await channel.default_exchange.publish(
            aio_pika.Message(
                json.dumps(failing).encode(),
                message_id=failing_id,
                user_id=system.broker_user("integrations"),
            ),
            routing_key="ledger.transactions",
        )
    finally:
        await connection.close()

    async def parked() -> dict[str, dict]:
        found = await parked_messages(system.amqp_url, "ledger.transactions.parked")
        return {m.message_id: dict(m.headers) for m in found}

    by_id = await eventually(
        parked,
        lambda p: {unreadable_id, failing_id} <= p.keys(),
        timeout=60,
        what="both poison messages parked",
    )
    assert by_id[unreadable_id]["x-attempt"] == 1
    assert "JSONDecodeError" in str(by_id[unreadable_id]["x-error"])
    assert by_id[failing_id]["x-attempt"] == 3, "parked only after its retries"

    sync_id = await user.start_sync(20)
    await user.wait_sync(sync_id)
    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 20,
        what="the consumer still consumes",
    )
    assert await user.count("/api/v1/transactions") == 20
