"""The `kasa` command against the running system: status, dead letters and replay."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
import pytest

from kasa_localstack.testing import (
    eventually,
    imported_transaction,
    issue_invoice,
    metric,
)
from kasa_ops.replay import ReplayFilter, ReplayProgress, replay_from_stream

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def kasa(system, *args: str) -> Any:
    return await system.kasa(*args)


async def duplicates(system, service: str, queue: str) -> float:
    # Replayed events were all handled before, so any that reached a queue shows up here.
    return await metric(
        system.ops_url(service), "kasa_events_consumed_total", queue=queue, outcome="duplicate"
    )


async def test_a_replay_reaches_only_its_target_and_twice_changes_nothing(system):
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    user = await system.user()
    workspace = user.user["workspace_id"]
    await user.wait_sync(await user.start_sync(200))
    await eventually(
        lambda: user.count("/api/v1/transactions"), lambda n: n >= 200, what="first delivery"
    )
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="integrations.transaction.imported"),
        lambda n: n >= 200,
        what="audit caught up",
    )
    await asyncio.sleep(1)
    audit_before = await duplicates(system, "audit", "audit.all")
    ledger_duplicates = await metric(
        system.ops_url("ledger"),
        "kasa_events_consumed_total",
        queue="ledger.transactions",
        outcome="duplicate",
    )

    for round_ in (1, 2):
        result = await kasa(
            system,
            "replay",
            "--service",
            "ledger",
            "--since",
            since,
            "--workspace",
            workspace,
            "--idle",
            "2",
        )
        assert result["matched"] == 200, result
        assert result["published"] >= 200
        await eventually(
            lambda: metric(
                system.ops_url("ledger"),
                "kasa_events_consumed_total",
                queue="ledger.transactions",
                outcome="duplicate",
            ),
            lambda n, r=round_: n >= ledger_duplicates + 200 * r,
            what=f"replay {round_} consumed by the ledger",
        )
        assert await user.count("/api/v1/transactions") == 200

    await asyncio.sleep(1)
    assert await duplicates(system, "audit", "audit.all") == audit_before, "audit saw the replay"

    dry = await kasa(
        system,
        "replay",
        "--service",
        "ledger",
        "--since",
        since,
        "--workspace",
        workspace,
        "--idle",
        "2",
        "--dry-run",
    )
    assert (dry["matched"], dry["published"]) == (200, 0)


async def test_a_parked_message_requeued_after_the_fix_is_applied_once(system):
    user = await system.user()
    workspace = user.user["workspace_id"]
    external_id = f"poison-{uuid.uuid4().hex[:8]}"
    ledger_db = system.database_urls["ledger"].replace("+asyncpg", "")
    connection = await asyncpg.connect(ledger_db)
    # The "bug": the ledger's database refuses this one row until an operator fixes it.
    await connection.execute(f"""
        CREATE FUNCTION refuse_{external_id.replace("-", "_")}() RETURNS trigger AS $$
        BEGIN
          IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'refused for the test'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_{external_id.replace("-", "_")} BEFORE INSERT ON transactions
          FOR EACH ROW EXECUTE FUNCTION refuse_{external_id.replace("-", "_")}();
    """)
    envelope = imported_transaction(workspace, external_id)
    event_id = envelope["event_id"]
    amqp = await aio_pika.connect(system.broker_url("integrations"))
    channel = await amqp.channel()
    exchange = await channel.get_exchange("kasa.events")
    await exchange.publish(
        aio_pika.Message(
            json.dumps(envelope).encode(),
            message_id=event_id,
            user_id=system.broker_user("integrations"),
        ),
        routing_key="integrations.transaction.imported.v1",
    )
    await amqp.close()

    async def parked() -> list[dict]:
        return await kasa(
            system,
            "dlq",
            "list",
            "--queue",
            "ledger.transactions",
            "--event-type",
            "integrations.transaction.imported",
        )

    found = await eventually(
        parked,
        lambda ms: any(m["message_id"] == event_id for m in ms),
        timeout=60,
        what="the message parked",
    )
    mine = next(m for m in found if m["message_id"] == event_id)
    assert mine["attempts"] == 3 and "refused for the test" in mine["error"]
    shown = await kasa(
        system, "dlq", "show", "--queue", "ledger.transactions", "--message-id", event_id
    )
    assert json.loads(shown["body"])["payload"]["external_id"] == external_id

    await connection.execute(f"DROP TRIGGER refuse_{external_id.replace('-', '_')} ON transactions")
    await connection.close()
    result = await kasa(
        system, "dlq", "requeue", "--queue", "ledger.transactions", "--message-id", event_id
    )
    assert result == {"requeued": [event_id]}
    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 1,
        what="the requeued message applied",
    )
    # A second delivery of the same event (e.g. a requeue of a copy) changes nothing.
    amqp = await aio_pika.connect(system.broker_url("ops"))
    channel = await amqp.channel()
    replay = await channel.get_exchange("kasa.replay")
    await replay.publish(
        aio_pika.Message(
            json.dumps(envelope).encode(), message_id=event_id, user_id=system.broker_user("ops")
        ),
        routing_key="ledger.transactions",
    )
    await amqp.close()
    await asyncio.sleep(1.5)
    [booked] = await user.all_items("/api/v1/transactions")
    assert booked["external_id"] == external_id
    remaining = await parked()
    assert all(m["message_id"] != event_id for m in remaining)


async def test_status_shows_the_outbox_backlog_draining_after_an_outage(system):
    user = await system.user()

    async def integrations_backlog() -> int:
        report = await kasa(system, "status")
        [integrations] = [s for s in report["services"] if s["service"] == "integrations"]
        return int(integrations["outbox"]["waiting"])

    await system.proxy.cut()
    try:
        await user.wait_sync(await user.start_sync(300))
        waiting = await integrations_backlog()
        assert waiting >= 300
        report = await kasa(system, "status")
        ledger = next(s for s in report["services"] if s["service"] == "ledger")
        assert ledger["ready"] and ledger["version"]
        queue = next(q for q in ledger["queues"] if q["queue"] == "ledger.transactions")
        assert queue["consumers"] >= 1 and queue["parked_messages"] is not None
    finally:
        await system.proxy.start()
    await eventually(integrations_backlog, lambda n: n == 0, timeout=90, what="the backlog drained")


async def test_a_replay_from_audits_permanent_archive(system):
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    user = await system.user()
    workspace = user.user["workspace_id"]
    await user.wait_sync(await user.start_sync(50))
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="integrations.transaction.imported"),
        lambda n: n >= 50,
        what="audit archived the imports",
    )
    before = await duplicates(system, "ledger", "ledger.transactions")
    result = await kasa(
        system,
        "replay",
        "--service",
        "ledger",
        "--since",
        since,
        "--workspace",
        workspace,
        "--from",
        "audit",
    )
    assert (result["source"], result["matched"]) == ("audit", 50), result
    await eventually(
        lambda: duplicates(system, "ledger", "ledger.transactions"),
        lambda n: n >= before + 50,
        what="the archived events reached the ledger again",
    )
    assert await user.count("/api/v1/transactions") == 50


async def test_audit_verify_checks_the_hash_chain(system):
    user = await system.user()
    await user.wait_sync(await user.start_sync(5))
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="integrations.sync.completed"),
        lambda n: n >= 1,
        what="the sync in the trail",
    )
    result = await kasa(system, "audit", "verify", "--workspace", user.user["workspace_id"])
    assert result["ok"] is True
    assert result["checked"] >= 7  # registration, sync started/completed, five imports


async def test_the_ledgers_invoice_projection_rebuilt_by_replay_equals_the_original(system):
    user = await system.user()
    issued = [await issue_invoice(user, hours * 60) for hours in (3, 5)]
    ledger_db = system.database_urls["ledger"].replace("+asyncpg", "")
    columns = (
        "id, workspace_id, number, variable_symbol, vs_normalized, client_id, client_name, "
        "total, currency, issue_date, due_date, issued_at, cancelled_at, paid_on"
    )

    async def projection() -> list[tuple]:
        connection = await asyncpg.connect(ledger_db)
        try:
            # This test's workspace: other tests' invoices (undone matches among them) are
            # rebuilt too, but they are not what this test set up.
            rows = await connection.fetch(
                f"SELECT {columns} FROM invoices WHERE workspace_id = $1 ORDER BY id",
                uuid.UUID(str(user.user["workspace_id"])),
            )
        finally:
            await connection.close()
        return [tuple(row) for row in rows]

    before = await eventually(
        projection,
        lambda rows: {str(r[0]) for r in rows} >= {i["id"] for i in issued},
        what="the ledger knows the invoices",
    )
    result = await kasa(system, "ledger", "rebuild-invoices", "--yes", "--idle", "2")
    assert result["invoices_cleared"] >= len(before)
    assert result["queues"] == ["ledger.invoices"]
    # Every invoice of the shared stack is replayed (its issue, cancellation and payment), so
    # the rebuild takes as long as the session has made invoices: wait for it, bounded.
    await eventually(
        projection, lambda rows: rows == before, timeout=90, what="the projection rebuilt"
    )


class Stopped(Exception):
    pass


def quiet_audit(user):
    async def unchanged() -> bool:
        before = await user.count("/api/v1/audit-events")
        await asyncio.sleep(1.5)
        return await user.count("/api/v1/audit-events") == before

    return unchanged


async def test_a_replay_stopped_midway_resumes_from_its_checkpoint(system, tmp_path):
    since = datetime.now(UTC) - timedelta(seconds=2)
    user = await system.user()
    await user.wait_sync(await user.start_sync(600))
    await eventually(
        lambda: user.count("/api/v1/audit-events", event_type="integrations.transaction.imported"),
        lambda n: n >= 600,
        what="audit caught up",
    )
    await eventually(
        lambda: user.count("/api/v1/transactions"), lambda n: n >= 600, what="ledger booked"
    )
    # The workspace falls quiet before it is read, so every run sees the same events.
    await eventually(quiet_audit(user), lambda quiet: quiet, what="the workspace fell quiet")
    checkpoint = tmp_path / "replay.json"
    workspace = user.user["workspace_id"]
    # A dry run: it matches what it would send to audit and sends nothing.
    selection = ReplayFilter(queues={"audit.all": ["#"]}, since=since, workspace_id=workspace)

    def stop_at_the_first_checkpoint(progress: ReplayProgress) -> None:
        if not progress.finished:
            raise Stopped  # as an operator's Ctrl-C would, while the stream is still delivering

    # The stop is reported as itself: a stream refuses the nack a queue iterator sends for what
    # it still buffers, and that refusal must not replace the reason the replay stopped.
    with pytest.raises(Stopped):
        await replay_from_stream(
            system.broker_url("ops"),
            selection,
            dry_run=True,
            checkpoint=checkpoint,
            on_progress=stop_at_the_first_checkpoint,
        )
    stopped = ReplayProgress.resume(checkpoint)
    assert stopped.read == 1000 and stopped.last_offset is not None
    resumed = await replay_from_stream(
        system.broker_url("ops"), selection, dry_run=True, checkpoint=checkpoint, idle_seconds=2
    )
    assert resumed.finished and resumed.read > stopped.read
    whole = await replay_from_stream(
        system.broker_url("ops"), selection, dry_run=True, idle_seconds=2
    )
    # The resumed run read on from the checkpoint: nothing twice, nothing skipped.
    assert resumed.read >= whole.read and resumed.matched == whole.matched >= 600
