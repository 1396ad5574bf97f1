"""A 20,000-transaction sync survives a broker node, two replicas and the database going away.

During one demo sync requested through the gateway: the RabbitMQ node that leads the ledger's
queue is stopped (and stays down), the integrations replica running the sync and one ledger
replica are SIGKILLed and started again, and PostgreSQL is restarted. Afterwards the ledger
and the audit trail hold every transaction exactly once, the trail's chain verifies, nothing
is parked and every replica of every service is ready.
"""

import asyncio
import time
import uuid
from typing import Any

import pytest

from kasa_localstack.testing import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

COUNT = 20_000
LEDGER_QUEUE = "ledger.transactions"


class Timeline:
    """What the test did when, printed as it goes (and shown with a failure)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def note(self, what: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {what}", flush=True)


async def sync_row(cluster, sync_id: str) -> dict[str, Any]:
    rows = await cluster.rows(
        "integrations",
        "SELECT status, worker_id, attempts, records_processed, records_created "
        "FROM syncs WHERE id = $1",
        uuid.UUID(sync_id),
    )
    return dict(rows[0]) if rows else {}


async def booked(cluster, workspace: uuid.UUID) -> dict[str, int]:
    rows = await cluster.rows(
        "ledger",
        "SELECT count(*) AS rows, count(DISTINCT external_id) AS distinct_ids "
        "FROM transactions WHERE workspace_id = $1",
        workspace,
    )
    return dict(rows[0]) if rows else {"rows": -1, "distinct_ids": -1}


async def trail(cluster, workspace: uuid.UUID) -> dict[str, int]:
    rows = await cluster.rows(
        "audit",
        "SELECT count(*) FILTER (WHERE event_type = 'integrations.transaction.imported') AS "
        "imported, count(*) FILTER (WHERE event_type = 'ledger.transaction.recorded') AS "
        "recorded, count(*) AS entries, count(DISTINCT event_id) AS events, "
        "coalesce(max(seq), 0) AS head FROM audit_entries WHERE workspace_id = $1",
        workspace,
    )
    return dict(rows[0]) if rows else {"imported": -1, "recorded": -1}


async def test_a_sync_keeps_every_transaction_once_through_node_replica_and_database_failures(
    cluster,
):
    log = Timeline()
    user = await cluster.user()
    workspace = uuid.UUID(user.user["workspace_id"])
    rabbit = cluster.rabbit

    leader = await asyncio.to_thread(rabbit.leader_of, LEDGER_QUEUE)
    members = {q["name"]: q["members"] for q in await asyncio.to_thread(rabbit.queues)}
    assert len(members[LEDGER_QUEUE]) == 3, members[LEDGER_QUEUE]
    log.note(f"{LEDGER_QUEUE} is led by {leader.name}; requesting a sync of {COUNT:,}")

    sync_id = await user.start_sync(COUNT)

    # 1. The broker node that leads the ledger's queue goes away, and stays away.
    await eventually(
        lambda: sync_row(cluster, sync_id),
        lambda s: s.get("records_processed", 0) >= 2_000,
        timeout=180,
        what="the sync under way",
    )
    log.note(f"sync at {(await sync_row(cluster, sync_id))['records_processed']:,}; stopping")
    await asyncio.to_thread(rabbit.stop_node, leader)
    log.note(f"{leader.name} stopped")
    new_leader = await eventually(
        lambda: asyncio.to_thread(_leader_or_none, cluster),
        lambda name: name is not None and name != leader.name,
        timeout=60,
        what=f"a new leader of {LEDGER_QUEUE}",
    )
    log.note(f"{LEDGER_QUEUE} is led by {new_leader} now")

    # 2. The integrations replica running the sync and a ledger replica are SIGKILLed.
    running = await eventually(
        lambda: sync_row(cluster, sync_id),
        lambda s: s.get("records_processed", 0) >= 6_000 or s.get("status") != "running",
        timeout=180,
        what="the sync further along",
    )
    assert running["status"] == "running", f"the kill must land mid-sync: {running}"
    worker_pid = int(str(running["worker_id"]).split("/")[1])
    worker = next(
        (
            r
            for r in cluster.replicas["integrations"].values()
            if r.process and r.process.pid == worker_pid
        ),
        None,
    )
    assert worker is not None, f"no integrations replica runs as {running['worker_id']}"
    ledger = cluster.replica("ledger", "a")
    ledger_booked = (await booked(cluster, workspace))["rows"]
    worker.kill()
    ledger.kill()
    log.note(
        f"SIGKILLed {worker.label} (running the sync at {running['records_processed']:,}) and "
        f"{ledger.label} (ledger at {ledger_booked:,})"
    )
    assert ledger_booked < COUNT, "the ledger kill must land mid-import"
    worker.start()
    ledger.start()
    await asyncio.gather(ready(cluster, worker), ready(cluster, ledger))
    log.note(f"{worker.label} and {ledger.label} ready again")

    # 3. PostgreSQL restarts once, while the ledger and the audit trail are still importing.
    await eventually(
        lambda: booked(cluster, workspace),
        lambda b: b["rows"] >= 8_000,
        timeout=240,
        what="the ledger further along",
    )
    before = (await booked(cluster, workspace))["rows"]
    away = await asyncio.to_thread(cluster.postgres.restart)
    log.note(f"PostgreSQL restarted (away {away:.1f}s) with the ledger at {before:,}")
    assert before < COUNT, "the restart must land mid-import"

    # Afterwards: the sync completed, and every transaction is booked and on the trail once.
    done = await user.wait_sync(sync_id, timeout=300)
    log.note(f"sync {done['status']}: {done.get('records_created')} created")
    assert done["status"] == "completed", done
    assert done["records_created"] == COUNT, done
    finished = await sync_row(cluster, sync_id)
    assert finished["attempts"] >= 2, f"another worker took the run over: {finished}"
    assert finished["worker_id"] != running["worker_id"], finished
    await eventually(
        lambda: booked(cluster, workspace),
        lambda b: b["rows"] >= COUNT,
        timeout=300,
        interval=2,
        what=f"{COUNT:,} ledger transactions",
    )
    log.note("the ledger holds them all")
    await eventually(
        lambda: trail(cluster, workspace),
        lambda t: t["imported"] >= COUNT and t["recorded"] >= COUNT,
        timeout=300,
        interval=2,
        what="every import and booking on the audit trail",
    )
    log.note("the audit trail holds them all")
    await asyncio.sleep(3)  # anything redelivered after the failures has had time to land

    assert await booked(cluster, workspace) == {"rows": COUNT, "distinct_ids": COUNT}
    after = await trail(cluster, workspace)
    assert (after["imported"], after["recorded"]) == (COUNT, COUNT), after
    assert after["entries"] == after["events"], "no event has two entries"
    assert after["head"] == after["entries"], "the chain has no gap and no fork"

    verified = await cluster.kasa("audit", "verify", "--workspace", str(workspace))
    assert verified["ok"] is True, verified
    assert verified["checked"] == after["entries"], verified
    assert verified["workspaces"][str(workspace)]["first_broken"] is None, verified

    status = await cluster.kasa("status")
    assert status["broker"]["reachable"], status["broker"]
    for service in status["services"]:
        replicas = service.get("replicas", [])
        assert len(replicas) == 2, service
        assert service["ready"], [(r["url"], r["ready"], r.get("checks")) for r in replicas]
        for queue in service["queues"]:
            assert queue["parked_messages"] == 0, queue
    queues = [q["queue"] for s in status["services"] for q in s["queues"]]
    parked = await asyncio.gather(*(cluster.kasa("dlq", "list", "--queue", q) for q in queues))
    assert dict(zip(queues, parked, strict=True)) == {q: [] for q in queues}
    # The web application is no service of ``kasa status``: its replicas are asked directly.
    await asyncio.gather(*(ready(cluster, r, 30) for r in cluster.replicas["web"].values()))
    log.note(f"audit verify ok, every replica ready, nothing parked in {len(queues)} queues")


async def ready(cluster, replica, timeout: float = 180) -> None:
    """Wait until ``replica`` is ready; if it does not get there, fail with what its log last
    said about the broker and the database."""
    try:
        await replica.wait_ready(timeout)
    except (TimeoutError, RuntimeError) as exc:
        log = cluster.log_dir / f"{replica.label}.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        last = [line for line in lines if "WARNING" in line or "ERROR" in line][-5:]
        raise AssertionError(f"{exc}; its log ends with:\n" + "\n".join(last)) from None


def _leader_or_none(cluster) -> str | None:
    try:
        return cluster.rabbit.leader_of(LEDGER_QUEUE).name
    except Exception:
        return None
