"""The gateway's rate limits on real PostgreSQL: two gateway instances on one database enforce
one budget, also under concurrent hits, and ended windows are deleted."""

import asyncio
from pathlib import Path

import httpx
import pytest

import kasa_gateway
from kasa_gateway.db.rate_limits import SharedRateLimiter, delete_expired
from kasa_gateway.main import build
from kasa_servicekit.db import Database
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "a long enough secret"
MIGRATIONS = Path(kasa_gateway.__file__).parent / "db" / "migrations"


@pytest.fixture
async def gateways(fresh_database, tmp_path, monkeypatch):
    """Two gateway apps on one PostgreSQL database, as two replicas are."""
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("API_RATE_PER_MINUTE", "4")
    monkeypatch.setenv("LOGIN_RATE_PER_ADDRESS_PER_MINUTE", "4")
    monkeypatch.setenv("LOGIN_FAILURES_BEFORE_DELAY", "50")
    spec = build()
    await asyncio.to_thread(upgrade, spec.migrations, fresh_database)
    apps = [create_app(spec), create_app(build())]
    # No lifespan: the limits need only the database, not the broker.
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        for app in apps
    ]
    yield clients
    for client, app in zip(clients, apps, strict=True):
        await client.aclose()
        await app.state.runtime.db.dispose()


async def test_a_users_api_budget_is_one_on_two_gateways(gateways):
    first, second = gateways
    eva = {"email": "eva@example.com", "password": PASSWORD}
    registered = await first.post(
        "/api/v1/auth/register", json={**eva, "name": "Eva", "workspace_name": "Eva s.r.o."}
    )
    assert registered.status_code == 201, registered.text
    tokens = await second.post("/api/v1/auth/token", json=eva)
    assert tokens.status_code == 200, tokens.text
    bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    answers = [await client.get("/api/v1/me", headers=bearer) for client in (first, second) * 2]
    assert [a.status_code for a in answers] == [200] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0"]
    for client in gateways:
        refused = await client.get("/api/v1/me", headers=bearer)
        assert refused.status_code == 429, "the other gateway used the budget"
        assert 0 < int(refused.headers["Retry-After"]) <= 60


async def test_sign_ins_from_one_address_count_on_both_gateways(gateways):
    first, second = gateways

    async def sign_in(client):
        body = {"email": "ghost@example.com", "password": "wrong one!"}
        return (await client.post("/api/v1/auth/token", json=body)).status_code

    answers = await asyncio.gather(*(sign_in(client) for client in (first, second) * 3))
    assert sorted(answers) == [401] * 4 + [429] * 2


async def test_concurrent_hits_through_two_pools_never_pass_the_budget(fresh_database):
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    replicas = [Database(fresh_database), Database(fresh_database)]
    try:
        exact = [SharedRateLimiter(db, "sign_in", 40, deadline=60) for db in replicas]
        answers = await asyncio.gather(*(exact[i % 2].hit("10.0.0.5") for i in range(100)))
        assert sum(a.allowed for a in answers) == 40

        leased = [SharedRateLimiter(db, "api", 400, lease=32, deadline=60) for db in replicas]
        answers = await asyncio.gather(*(leased[i % 2].hit("user:1") for i in range(1000)))
        allowed = sum(a.allowed for a in answers)
        # Hits claimed ahead and not used are lost for the window, never granted twice.
        assert 400 - 2 * 32 <= allowed <= 400
        later = [await leased[i % 2].hit("user:1") for i in range(100)]
        assert sum(a.allowed for a in later) + allowed == 400, "what was left, and no more"

        assert await delete_expired(replicas[0], 0) == 0, "nothing has ended yet"
        assert await delete_expired(replicas[1], 10**12, batch=1) == 1
        assert await delete_expired(replicas[1], 10**12) == 1
    finally:
        for db in replicas:
            await db.dispose()
