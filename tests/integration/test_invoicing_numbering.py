"""Invoice numbers on real PostgreSQL: gap-free and unique under concurrent issuing from two
replicas."""

import asyncio
import contextlib
import uuid

import httpx
import pytest

from kasa_invoicing.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CONCURRENT = 16


@pytest.fixture
async def replicas(fresh_database, monkeypatch):
    """Two replicas of invoicing on one database: each its own app and connection pool."""
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    spec = build()
    await asyncio.to_thread(upgrade, spec.migrations, fresh_database)
    issuer = TokenIssuer()
    workspace = uuid.uuid4()
    apps = [create_app(build()) for _ in range(2)]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for app in apps:
            issuer.install(app)
            stack.push_async_callback(app.state.runtime.db.dispose)
            # No lifespan: the routes need only the database, not the broker or the relay.
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app),
                        base_url="http://invoicing",
                        headers=issuer.headers(workspace),
                    )
                )
            )
        yield clients


@pytest.fixture
def invoicing(replicas):
    return replicas[0]


async def ok(response_coro, status=200):
    response = await response_coro
    assert response.status_code == status, response.text
    return response.json()


async def drafts(client, count):
    await ok(
        client.put("/api/v1/supplier", json={"name": "Jana", "iban": "CZ6508000000192000145399"})
    )
    customer = await ok(
        client.post("/api/v1/clients", json={"name": "Acme", "hourly_rate": "1000"}), 201
    )
    project = await ok(
        client.post("/api/v1/projects", json={"client_id": customer["id"], "name": "Web"}), 201
    )
    ids = []
    for day in range(1, count + 1):
        entry = await ok(
            client.post(
                "/api/v1/work-entries",
                json={
                    "project_id": project["id"],
                    "work_date": f"2026-03-{day:02d}",
                    "minutes": 60,
                },
            ),
            201,
        )
        invoice = await ok(
            client.post(
                "/api/v1/invoices",
                json={"client_id": customer["id"], "work_entry_ids": [entry["id"]]},
            ),
            201,
        )
        ids.append(invoice["id"])
    return customer["id"], ids


async def test_concurrent_issues_get_consecutive_unique_numbers(replicas):
    invoicing = replicas[0]
    _, ids = await drafts(invoicing, CONCURRENT)
    # Half the drafts are issued through each replica, all at once.
    responses = await asyncio.gather(
        *(
            replicas[n % 2].post(f"/api/v1/invoices/{i}/issue", json={"issue_date": "2026-03-31"})
            for n, i in enumerate(ids)
        )
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT, [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"2026-{n:04d}" for n in range(1, CONCURRENT + 1)]

    # Issuing the same draft twice at once: one wins, the other is told it is issued already.
    _, [again] = await drafts(invoicing, 1)
    twins = await asyncio.gather(
        *(
            replica.post(f"/api/v1/invoices/{again}/issue", json={"issue_date": "2026-03-31"})
            for replica in replicas
        )
    )
    assert sorted(r.status_code for r in twins) == [200, 409]
    winner = next(r for r in twins if r.status_code == 200)
    assert winner.json()["number"] == f"2026-{CONCURRENT + 1:04d}", "the loser used no number"


async def test_the_same_work_is_invoiced_once_under_concurrent_requests(invoicing):
    customer, _ = await drafts(invoicing, 0)
    project = (await ok(invoicing.get("/api/v1/projects")))["items"][0]["id"]
    entry = await ok(
        invoicing.post(
            "/api/v1/work-entries",
            json={"project_id": project, "work_date": "2026-03-01", "minutes": 60},
        ),
        201,
    )
    body = {"client_id": customer, "work_entry_ids": [entry["id"]]}
    responses = await asyncio.gather(
        *(invoicing.post("/api/v1/invoices", json=body) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
