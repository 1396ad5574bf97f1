"""The gateway's real app on a fresh SQLite database, configurable per test."""

import pytest
from fastapi.testclient import TestClient

from kasa_gateway.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import outbox_events

PASSWORD = "a long enough secret"


@pytest.fixture
def gateway_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    monkeypatch.setenv("JWT_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")  # broker not needed here
    return monkeypatch


@pytest.fixture
def make_client(gateway_env):
    clients = []

    def make(peer: tuple[str, int] = ("testclient", 50000), **env: str) -> TestClient:
        """A client of a new gateway configured with ``env``, connecting from ``peer``."""
        for name, value in env.items():
            gateway_env.setenv(name, value)
        spec = build()
        upgrade(spec.migrations, spec.settings.database_url)
        client = TestClient(create_app(spec), client=peer)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


def register(client, email="eva@example.com", password=PASSWORD, workspace="Eva s.r.o."):
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "name": "Eva", "workspace_name": workspace},
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(client, email="eva@example.com", password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def events(client, routing_key=None):
    db = client.app.state.runtime.db
    return client.portal.call(outbox_events, db, routing_key)
