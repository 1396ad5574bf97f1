"""Syncs are queued work: any integrations process runs them, a killed worker is replaced.

Besides the stack's integrations process, these tests start further integrations processes
on the same database and broker: a front that accepts requests but consumes nothing, and
two workers with a short lease, so a killed worker's sync is resumed within seconds.
"""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import pytest_asyncio

from kasa_localstack.stack import ServiceProcess
from kasa_localstack.testing import KasaClient, eventually, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

LEASE_S = "4"


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


async def sync_row(system, sync_id: str) -> dict:
    connection = await asyncpg.connect(plain(system.database_urls["integrations"]))
    try:
        row = await connection.fetchrow(
            "SELECT status, worker_id, attempts, records_created FROM syncs WHERE id = $1::uuid",
            sync_id,
        )
    finally:
        await connection.close()
    assert row is not None
    return dict(row)


def pid_of(worker_id: str | None) -> int:
    assert worker_id, "the sync was never claimed"
    return int(worker_id.split("/")[1])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def processes(system) -> AsyncIterator[dict[str, ServiceProcess]]:
    """``front`` accepts requests and runs no consumer; ``worker-1``/``worker-2`` consume."""
    common = {"AMQP_URL": system.amqp_url, "SYNC_LEASE_SECONDS": LEASE_S}
    started = {
        "front": system.stack.replica(
            "integrations",
            "front",
            free_port(),
            # Its sweep never picks up queued syncs either: only workers run them.
            {**common, "RUN_CONSUMERS": "false", "SYNC_PICKUP_AFTER_SECONDS": "3600"},
        ),
        "worker-1": system.stack.replica("integrations", "worker-1", free_port(), common),
        "worker-2": system.stack.replica("integrations", "worker-2", free_port(), common),
    }
    try:
        for process in started.values():
            process.start()
        await asyncio.gather(*(p.wait_ready() for p in started.values()))
        yield started
    finally:
        for process in started.values():
            process.stop()


async def request_at(process: ServiceProcess, user: KasaClient, count: int) -> httpx.Response:
    async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
        return await client.post(
            "/api/v1/plugins/demo/syncs", json={"count": count}, headers=user.headers
        )


async def test_a_sync_accepted_where_nothing_consumes_is_run_by_a_worker(system, processes):
    front = processes["front"]
    user = await system.user()
    accepted = await request_at(front, user, 200)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "pending"
    sync_id = accepted.json()["id"]
    done = await user.wait_sync(sync_id, timeout=60)
    assert (done["status"], done["records_created"]) == ("completed", 200)
    row = await sync_row(system, sync_id)
    assert front.process is not None
    assert pid_of(row["worker_id"]) != front.process.pid, "another process ran it"
    assert row["attempts"] == 1
    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= 200,
        what="the sync's transactions in the ledger",
    )
    assert await user.count("/api/v1/transactions") == 200


async def test_a_worker_killed_mid_sync_is_replaced_and_each_transaction_lands_once(
    system, processes
):
    count = 10_000
    main = system.stack.services["integrations"]
    candidates = [main, processes["worker-1"], processes["worker-2"]]
    user = await system.user()
    sync_id = await user.start_sync(count)
    under_way = await eventually(
        lambda: user.get(f"/api/v1/syncs/{sync_id}"),
        lambda r: r.json()["records_processed"] >= 500,
        interval=0.05,
        timeout=120,
        what="the sync under way",
    )
    assert under_way.json()["status"] == "running"
    row = await sync_row(system, sync_id)
    [victim] = [p for p in candidates if p.process and p.process.pid == pid_of(row["worker_id"])]
    victim.kill()
    at_kill = await sync_row(system, sync_id)
    assert at_kill["status"] == "running" and at_kill["records_created"] < count, "mid-run"
    if victim is main:
        # The gateway routes to the stack's own process: bring it back; a worker resumes.
        victim.start()
        await victim.wait_ready()

    done = await user.wait_sync(sync_id, timeout=240)
    assert (done["status"], done["records_created"]) == ("completed", count), done
    resumed = await sync_row(system, sync_id)
    assert resumed["attempts"] >= 2, "the run was claimed again after the kill"
    assert resumed["worker_id"] != row["worker_id"]
    assert done["metadata"]["attempts"] == resumed["attempts"]

    await eventually(
        lambda: user.count("/api/v1/transactions"),
        lambda n: n >= count,
        timeout=420,
        interval=2,
        what=f"{count} ledger transactions",
    )
    await asyncio.sleep(2)  # anything redelivered after the kill has had time to land
    transactions = await user.all_items("/api/v1/transactions")
    assert len(transactions) == count
    assert len({t["external_id"] for t in transactions}) == count


async def test_two_requests_at_once_one_runs_and_the_other_is_refused(system, processes):
    user = await system.user()
    through_gateway = user.post("/api/v1/plugins/demo/syncs", json={"count": 50})
    answers = await asyncio.gather(through_gateway, request_at(processes["front"], user, 50))
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    [accepted] = [a for a in answers if a.status_code == 202]
    [refused] = [a for a in answers if a.status_code == 409]
    problem = refused.json()
    assert problem["reason"] == "already_running"
    sync_id = accepted.json()["id"]
    assert problem["detail"] in (
        f"sync {sync_id} of demo is still running",
        "a sync of demo is already running",
    )
    done = await user.wait_sync(sync_id, timeout=60)
    assert (done["status"], done["records_created"]) == ("completed", 50)
    assert len(await user.all_items("/api/v1/syncs", plugin="demo")) == 1
