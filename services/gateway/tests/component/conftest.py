"""The gateway's real app on a fresh SQLite database, configurable per test."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kasa_gateway.main import build
from kasa_servicekit.mail_outbox import mail_outbox
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


def register(
    client, email="eva@example.com", password=PASSWORD, workspace="Eva s.r.o.", verified=True
):
    """A new account; ``verified``: its address proven through the link mailed to it."""
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "name": "Eva", "workspace_name": workspace},
    )
    assert response.status_code == 201, response.text
    if verified:
        verify(client, email)
    return response.json()


def queued_mail(client, to: str, kind: str) -> list[str]:
    """The plain text of each mail of ``kind`` queued for ``to``, oldest first."""

    async def read() -> list[str]:
        query = (
            select(mail_outbox.c.text_body)
            .where(mail_outbox.c.recipient == to.lower(), mail_outbox.c.kind == kind)
            .order_by(mail_outbox.c.created_at)
        )
        async with client.app.state.runtime.db.sessions() as session:
            return list((await session.scalars(query)).all())

    return client.portal.call(read)


def link_token(text: str) -> str:
    return text.split("token=")[1].split()[0]


def verify(client, email: str, headers: dict[str, str] | None = None) -> dict:
    """Open the newest verification link mailed to ``email``."""
    token = link_token(queued_mail(client, email, "email_verification")[-1])
    response = client.post("/api/v1/auth/verify-email", json={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
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
