"""A value PostgreSQL refuses to store is the caller's mistake: 422, and nothing is stored."""

import asyncio
import uuid

import httpx
import pytest

from kasa_ledger.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
async def ledger(fresh_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    spec = build()
    await asyncio.to_thread(upgrade, spec.migrations, fresh_database)
    app = create_app(spec)
    issuer = TokenIssuer()
    issuer.install(app)
    # No lifespan: the routes need only the database, not the broker or the relay.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://ledger",
        headers=issuer.headers(uuid.uuid4()),
    ) as client:
        yield client
    await app.state.runtime.db.dispose()


async def test_a_nul_character_in_text_is_a_problem_not_a_server_error(ledger):
    account = {"name": "Cash\x00box", "currency": "CZK", "kind": "cash"}
    response = await ledger.post("/api/v1/accounts", json=account)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "the request contains a value that cannot be stored"
    listing = await ledger.get("/api/v1/accounts")
    assert listing.status_code == 200 and listing.json()["items"] == []

    account["name"] = "Cash box"
    assert (await ledger.post("/api/v1/accounts", json=account)).status_code == 201
